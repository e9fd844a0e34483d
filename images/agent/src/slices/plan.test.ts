// Slice planning counted in actions, like the EndpointSlice reconciler's tests: N pods ->
// expected slices; nothing changed -> zero actions; a changed targetPort -> updates, not
// create+delete; a fenced slice -> rewritten; a conflict -> withdrawn.
import { ANNOTATION_FENCED_AT } from "../../../../api/contract.js";
import { evaluated, manyPods, NODE, pod, swh } from "../../../../tests/agent/fixtures.js";
import type { AgentSwh } from "../desired/swh.js";
import type { PodSnapshot } from "../desired/pods.js";
import type { RawEndpointSlice } from "swh-kube-client";
import { buildSlices } from "./build.js";
import { existingGroup, planSize, planSlices, type SlicePlan } from "./plan.js";

let rv = 100;

/** What the API server would hold after the plan (names kept, resourceVersions bumped). */
function applied(existing: RawEndpointSlice[], plan: SlicePlan): RawEndpointSlice[] {
  const gone = new Set(plan.delete.map(s => s.metadata?.name));
  const updated = new Map(plan.update.map(s => [s.metadata?.name, s]));
  const stamp = (s: RawEndpointSlice): RawEndpointSlice => ({
    ...structuredClone(s),
    metadata: { ...s.metadata, resourceVersion: String(++rv), uid: `uid-${s.metadata?.name}` },
  });
  return [
    ...existing
      .filter(s => !gone.has(s.metadata?.name))
      .map(s => (updated.has(s.metadata?.name) ? stamp(updated.get(s.metadata?.name)!) : s)),
    ...plan.create.map(stamp),
  ];
}

function desired(s: AgentSwh, pods: PodSnapshot[], healthy?: (key: string) => boolean) {
  return buildSlices({
    swh: s,
    nodeName: NODE,
    endpoints: evaluated(s, pods, healthy),
    verbose: false,
  });
}

function counts(plan: SlicePlan) {
  return { create: plan.create.length, update: plan.update.length, delete: plan.delete.length };
}

const s = swh();

describe("planSlices", () => {
  it("creates one slice for 3 pods, then does nothing when nothing changed", () => {
    const plan = planSlices(desired(s, manyPods(3)), []);
    expect(counts(plan)).toEqual({ create: 1, update: 0, delete: 0 });
    const existing = applied([], plan);
    expect(planSize(planSlices(desired(s, manyPods(3)), existing))).toBe(0);
  });

  it("creates 3 slices for 2500 endpoints", () => {
    const plan = planSlices(desired(s, manyPods(2500)), []);
    expect(counts(plan)).toEqual({ create: 3, update: 0, delete: 0 });
    expect(plan.create.map(c => c.endpoints?.length)).toEqual([1000, 1000, 500]);
  });

  it("creates two slices for dual-stack pods", () => {
    const plan = planSlices(desired(s, manyPods(3, true)), []);
    expect(plan.create.map(c => c.addressType)).toEqual(["IPv4", "IPv6"]);
  });

  it("updates (never create+delete) when the targetPort changes, then settles", () => {
    const pods = manyPods(250);
    const existing = applied([], planSlices(desired(s, pods), []));
    const moved = swh({ spec: { ports: [{ port: 5432, protocol: "TCP", targetPort: 6432 }] } });
    const plan = planSlices(desired(moved, pods), existing);
    expect(counts(plan)).toEqual({ create: 0, update: 1, delete: 0 });
    expect(plan.update[0]?.metadata?.name).toBe(existing[0]?.metadata?.name);
    expect(plan.update[0]?.metadata?.resourceVersion).toBe(existing[0]?.metadata?.resourceVersion);
    expect(plan.update[0]?.ports).toEqual([{ name: "", protocol: "TCP", port: 6432 }]);
    const after = applied(existing, plan);
    expect(planSize(planSlices(desired(moved, pods), after))).toBe(0);
  });

  it("updates one slice when one probe flips", () => {
    const pods = manyPods(10);
    const existing = applied([], planSlices(desired(s, pods), []));
    const plan = planSlices(
      desired(s, pods, key => !key.includes("db-00003")),
      existing,
    );
    expect(counts(plan)).toEqual({ create: 0, update: 1, delete: 0 });
    expect(plan.update[0]?.endpoints?.[3]?.conditions).toEqual({
      ready: false,
      serving: false,
      terminating: false,
    });
  });

  it("ignores endpoint and port order in what the server holds", () => {
    const existing = applied([], planSlices(desired(s, manyPods(5)), []));
    const shuffled = existing.map(e => ({ ...e, endpoints: [...(e.endpoints ?? [])].reverse() }));
    expect(planSize(planSlices(desired(s, manyPods(5)), shuffled))).toBe(0);
  });

  it("rewrites a fenced slice and drops the fencing mark", () => {
    const existing = applied([], planSlices(desired(s, manyPods(3)), []));
    const fenced = existing.map(e => ({
      ...e,
      metadata: {
        ...e.metadata,
        annotations: { ...e.metadata?.annotations, [ANNOTATION_FENCED_AT]: "2024-01-01T00:00:00Z" },
      },
      endpoints: e.endpoints?.map(ep => ({
        ...ep,
        conditions: { ready: false, serving: false, terminating: false },
      })),
    }));
    const plan = planSlices(desired(s, manyPods(3)), fenced);
    expect(counts(plan)).toEqual({ create: 0, update: 1, delete: 0 });
    expect(plan.update[0]?.metadata?.annotations).not.toHaveProperty(ANNOTATION_FENCED_AT);
    expect(plan.update[0]?.endpoints?.every(e => e.conditions?.ready)).toBe(true);
  });

  it("withdraws every slice when the SWH must not publish (conflict)", () => {
    const existing = applied([], planSlices(desired(s, manyPods(2500, true)), []));
    expect(existing).toHaveLength(6);
    const plan = planSlices(desired(swh({ conflict: true }), manyPods(2500, true)), existing);
    expect(counts(plan)).toEqual({ create: 0, update: 0, delete: 6 });
  });

  it("shrinks from 3 slices to 1 with one update and two deletes", () => {
    const existing = applied([], planSlices(desired(s, manyPods(2500)), []));
    const plan = planSlices(desired(s, manyPods(500)), existing);
    expect(counts(plan)).toEqual({ create: 0, update: 1, delete: 2 });
  });

  it("reuses a slice of the same family for a new port mapping group", () => {
    const named = swh({ spec: { ports: [{ name: "web", port: 80, targetPort: "http" }] } });
    const a = [
      pod({ name: "a", ips: ["10.0.0.1"], ports: [{ name: "http", containerPort: 8080 }] }),
    ];
    const existing = applied([], planSlices(desired(named, a), []));
    const b = [
      pod({ name: "a", ips: ["10.0.0.1"], ports: [{ name: "http", containerPort: 9090 }] }),
    ];
    expect(counts(planSlices(desired(named, b), existing))).toEqual({
      create: 0,
      update: 1,
      delete: 0,
    });
  });

  it("never reuses a slice across address types (addressType is immutable)", () => {
    const existing = applied([], planSlices(desired(s, manyPods(3)), []));
    const v6 = [pod({ name: "db-00000", ips: ["fd00::1"] })];
    const plan = planSlices(desired(s, v6), existing);
    expect(counts(plan)).toEqual({ create: 1, update: 0, delete: 1 });
    expect(plan.create[0]?.addressType).toBe("IPv6");
  });
});

describe("existingGroup", () => {
  it("matches the group the builder assigns", () => {
    const [d] = desired(s, manyPods(1));
    expect(existingGroup(d!.slice)).toBe(d!.group);
  });
});
