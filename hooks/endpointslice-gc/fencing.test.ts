// Tests for the fencing planner and its jq patch program. The program is run by the real `jq`
// binary on a full EndpointSlice, as the operator runs it on the live object.

import { execFileSync } from "node:child_process";
import { nodeLabelValue } from "../../api/contract.js";
import { filterEndpointSlice, type EndpointSliceSnapshot } from "../lib/agent-slices.js";
import { deadAgentReason, fencingJqProgram, isFenced, planFencing } from "./fencing.js";

const NOW = new Date("2024-05-01T10:00:00Z");
const NOW_MS = NOW.getTime();

interface EndpointSpec {
  pod: string;
  ready: boolean;
  serving?: boolean;
  terminating?: boolean;
}

/**
 * A full agent slice on `node` with the given endpoints, optionally already fenced. The node-name
 * label is `nodeLabelValue(node)`, as the agent writes it; endpoints carry the full node name.
 */
function rawSlice(name: string, node: string, endpoints: EndpointSpec[], fencedAt?: string) {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      namespace: "prod",
      labels: {
        "kubernetes.io/service-name": "web",
        "network.deckhouse.io/node-name": nodeLabelValue(node),
        "endpointslice.kubernetes.io/managed-by": "servicewithhealthchecks",
      },
      annotations: fencedAt === undefined ? {} : { "network.deckhouse.io/fenced-at": fencedAt },
    },
    addressType: "IPv4",
    ports: [{ port: 8080 }],
    endpoints: endpoints.map((e, i) => ({
      addresses: [`10.0.0.${i + 1}`],
      conditions: { ready: e.ready, serving: e.serving ?? e.ready, terminating: e.terminating },
      nodeName: node,
      zone: "z1",
      targetRef: { kind: "Pod", name: e.pod, namespace: "prod", uid: `uid-${e.pod}` },
    })),
  };
}

function slice(...args: Parameters<typeof rawSlice>): EndpointSliceSnapshot {
  const snap = filterEndpointSlice(rawSlice(...args));
  if (snap === undefined) throw new Error("fixture slice did not pass the filter");
  return snap;
}

const READY_A = slice("web-a", "node-a", [{ pod: "web-0", ready: true }]);
const READY_B = slice("web-b", "node-b", [{ pod: "web-1", ready: true }]);
const FENCED_B = slice(
  "web-b2",
  "node-b",
  [{ pod: "web-2", ready: false }],
  "2024-05-01T09:59:00Z",
);
const EMPTY_B = slice("web-b3", "node-b", []);
const NOT_READY_UNMARKED_B = slice("web-b4", "node-b", [{ pod: "web-3", ready: false }]);

describe("deadAgentReason", () => {
  it.each([
    // no Lease at all
    [undefined, "LeaseMissing"],
    // expired one millisecond ago
    [NOW_MS - 1, "LeaseExpired"],
    // expires exactly now: still alive (expiry is strictly before now)
    [NOW_MS, undefined],
    // valid for another 10 s
    [NOW_MS + 10_000, undefined],
    // never renewed
    [Number.NEGATIVE_INFINITY, "LeaseExpired"],
  ])("expiry %s gives %s", (expiresAt, expected) => {
    expect(deadAgentReason(expiresAt, NOW_MS)).toBe(expected);
  });
});

describe("isFenced", () => {
  it.each([
    // ready endpoint, no mark
    ["ready, unmarked", READY_A, false],
    // marked and every endpoint down
    ["fenced", FENCED_B, true],
    // down but not marked: the mark is part of being fenced
    ["down, unmarked", NOT_READY_UNMARKED_B, false],
    // marked, but the agent came back and published a ready endpoint without dropping the mark
    ["marked, ready", slice("x", "n", [{ pod: "p", ready: true }], "2024-05-01T09:00:00Z"), false],
    // marked, not ready but still serving (terminating pod): not fully fenced
    [
      "marked, serving",
      slice("x", "n", [{ pod: "p", ready: false, serving: true }], "2024-05-01T09:00:00Z"),
      false,
    ],
  ])("%s slice is fenced: %s", (_case, s, expected) => {
    expect(isFenced(s)).toBe(expected);
  });
});

describe("planFencing", () => {
  const alive = NOW_MS + 30_000;
  const expired = NOW_MS - 1_000;
  const all = [READY_A, READY_B, FENCED_B, EMPTY_B, NOT_READY_UNMARKED_B];

  it.each([
    // both agents alive: nothing to do
    [{ "node-a": alive, "node-b": alive }, [], 0, []],
    // node-b's Lease expired: its unfenced non-empty slices are fenced, the fenced one skipped
    [{ "node-a": alive, "node-b": expired }, ["web-b", "web-b4"], 1, ["node-b:LeaseExpired"]],
    // node-a has no Lease at all
    [{ "node-b": alive }, ["web-a"], 0, ["node-a:LeaseMissing"]],
    // no Leases: every agent is dead
    [{}, ["web-a", "web-b", "web-b4"], 1, ["node-a:LeaseMissing", "node-b:LeaseMissing"]],
  ])("leases %j fence %j", (expiry, fenced, alreadyFenced, dead) => {
    const plan = planFencing(all, new Map(Object.entries(expiry)), NOW_MS);
    expect(plan.fence.map(f => f.slice.name)).toEqual(fenced);
    expect(plan.alreadyFenced).toBe(alreadyFenced);
    expect([...plan.deadNodes].map(([n, r]) => `${n}:${r}`)).toEqual(dead);
  });

  it("finds the Lease of a node whose name is longer than a label value", () => {
    const longNode = `${"worker-".repeat(12)}a.example.com`;
    const slices = [slice("long-a", longNode, [{ pod: "web-9", ready: true }])];
    expect(slices[0]?.nodeName).toBe(nodeLabelValue(longNode));
    // The Lease holder is the full name; leaseExpiryByNode keys it by nodeLabelValue.
    const alive = new Map([[nodeLabelValue(longNode), NOW_MS + 30_000]]);
    expect(planFencing(slices, alive, NOW_MS).fence).toEqual([]);
    const expired = new Map([[nodeLabelValue(longNode), NOW_MS - 1]]);
    expect(planFencing(slices, expired, NOW_MS).fence.map(f => f.slice.name)).toEqual(["long-a"]);
  });

  it.each([
    // our agent never held a Lease there (it is still rolling out): the Go slice keeps serving
    [{}, [], []],
    // our agent ran there and stopped heartbeating: fenced like ours
    [{ "node-b": NOW_MS - 1 }, ["web-node-b"], ["node-b:LeaseExpired"]],
    // our agent is alive: fencing has nothing to do (the hand-over deletes the slice)
    [{ "node-b": NOW_MS + 1 }, [], []],
  ])("a legacy slice with leases %j is fenced: %j", (expiry, fenced, dead) => {
    const raw = rawSlice("web-node-b", "node-b", [{ pod: "web-1", ready: true }]);
    delete (raw.metadata.labels as Record<string, string>)["network.deckhouse.io/node-name"];
    const legacy = filterEndpointSlice(raw)!;
    expect(legacy.legacy).toBe(true);
    const plan = planFencing([legacy], new Map(Object.entries(expiry)), NOW_MS);
    expect(plan.fence.map(f => f.slice.name)).toEqual(fenced);
    expect([...plan.deadNodes].map(([n, r]) => `${n}:${r}`)).toEqual(dead);
  });

  it("leaves slices in the skip set and slices without a node alone", () => {
    const noNode = filterEndpointSlice({
      metadata: { name: "orphan", namespace: "prod" },
      endpoints: [{ addresses: ["10.0.0.9"], conditions: { ready: true } }],
    });
    const plan = planFencing([READY_A, noNode!], new Map(), NOW_MS, new Set([READY_A]));
    expect(plan.fence).toEqual([]);
  });
});

describe("fencingJqProgram", () => {
  interface SliceJson {
    metadata: { annotations?: Record<string, string> } & Record<string, unknown>;
    endpoints: Array<{ conditions?: Record<string, boolean> } & Record<string, unknown>>;
  }

  /** Applies the program with the system jq, as the operator's JQPatch does. */
  function applyJq(program: string, obj: unknown): SliceJson {
    const out = execFileSync("jq", ["-c", program], { input: JSON.stringify(obj) });
    return JSON.parse(out.toString("utf8")) as SliceJson;
  }

  it("marks every endpoint not ready and not serving, keeps terminating and everything else", () => {
    const before = rawSlice("web-a", "node-a", [
      { pod: "web-0", ready: true },
      { pod: "web-1", ready: false, serving: true, terminating: true },
    ]);
    const after = applyJq(fencingJqProgram(NOW), before);
    expect(after.metadata.annotations).toEqual({
      "network.deckhouse.io/fenced-at": "2024-05-01T10:00:00.000Z",
    });
    expect(after.endpoints.map(e => e.conditions)).toEqual([
      { ready: false, serving: false },
      { ready: false, serving: false, terminating: true },
    ]);
    // Everything but the conditions and the mark is untouched.
    const strip = (o: SliceJson) => ({
      ...o,
      metadata: { ...o.metadata, annotations: {} },
      endpoints: o.endpoints.map(e => ({ ...e, conditions: {} })),
    });
    expect(strip(after)).toEqual(strip(before as SliceJson));
    expect(isFenced(filterEndpointSlice(after)!)).toBe(true);
  });

  it("handles a slice without annotations, conditions or endpoints", () => {
    const bare = {
      metadata: { name: "s", namespace: "n" },
      endpoints: [{ addresses: ["10.0.0.1"] }],
    };
    const after = applyJq(fencingJqProgram(NOW), bare);
    expect(after.endpoints[0]?.conditions).toEqual({ ready: false, serving: false });
    expect(applyJq(fencingJqProgram(NOW), { metadata: {}, endpoints: null }).endpoints).toEqual([]);
  });
});
