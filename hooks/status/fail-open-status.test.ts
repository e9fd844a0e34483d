// Fail-open in the status hook's run: what it counts from the agents' reports (truth, not what is
// published), the FailOpen condition and status.failOpen it writes, the Event of each transition
// (named by the transition, so a repeated run creates nothing new) and the gauge.
import { PROBE_PENDING_REASON } from "../../api/contract.js";
import type { Condition, ServiceWithHealthchecksStatus } from "../../api/v1alpha1.js";
import { filterEndpointSlice } from "../lib/agent-slices.js";
import { countFailOpen } from "./fail-open-counts.js";
import { planStatus } from "./plan.js";
import {
  HTTP_FAIL,
  NOW,
  applyMergePatch,
  condition,
  rawSlice,
  rawSwh,
  snapshots,
  type Ep,
  type Json,
} from "./test-fixtures.js";

const PENDING = { probe: "HTTP:10.0.0.9:8080", reason: PROBE_PENDING_REASON };
const ok = (pod: string, ip: string): Ep => ({ pod, ip, ready: true });
const bad = (pod: string, ip: string): Ep => ({ pod, ip, ready: false, failures: [HTTP_FAIL] });

/** SWH `web` with failOpen 50 % (and periodSeconds 1: a 30 s hold), with a stored status. */
function failOpenSwh(status?: Json): Json {
  const swh = rawSwh("web", status === undefined ? {} : { status });
  const spec = swh.spec as { healthcheck: Json };
  spec.healthcheck.periodSeconds = 1;
  spec.healthcheck.failOpen = { minPassingPercent: 50 };
  return swh;
}

/** A slice whose endpoints are all published ready (as under fail-open) with the given reports. */
function publishedReady(eps: Ep[]): Json {
  const slice = rawSlice("web", "node-a", eps);
  for (const e of slice.endpoints as Array<{ conditions: Json }>) {
    e.conditions = { ready: true, serving: true, terminating: false };
  }
  return slice;
}

describe("countFailOpen", () => {
  const count = (slices: Json[]): unknown =>
    countFailOpen(
      { uid: "uid-web" },
      slices.map(s => filterEndpointSlice(s)!),
    );

  it("counts the reports' truth, not what the slices publish", () => {
    const slice = publishedReady([ok("a", "10.0.0.1"), bad("b", "10.0.0.2"), bad("c", "10.0.0.3")]);
    expect(count([slice])).toEqual({ candidates: 3, probed: 3, passing: 1 });
  });

  it("leaves endpoints awaiting probe results out of the share, not out of the candidates", () => {
    const slice = rawSlice("web", "node-a", [
      ok("a", "10.0.0.1"),
      { pod: "b", ip: "10.0.0.2", ready: false, failures: [PENDING] },
      { pod: "c", ip: "10.0.0.3", ready: false, failures: [HTTP_FAIL, PENDING] },
    ]);
    expect(count([slice])).toEqual({ candidates: 3, probed: 1, passing: 1 });
  });

  it("does not count terminating endpoints, fenced slices or another SWH's slices", () => {
    const terminating = rawSlice("web", "node-a", [bad("a", "10.0.0.1"), ok("b", "10.0.0.2")]);
    (terminating.endpoints as Array<{ conditions: Json }>)[0]!.conditions.terminating = true;
    const fenced = rawSlice("web", "node-b", [bad("c", "10.0.1.1")], {
      fencedAt: "2024-05-01T09:59:00Z",
    });
    const foreign = rawSlice("web", "node-c", [bad("d", "10.0.2.1")], { ownerUid: "old" });
    expect(count([terminating, fenced, foreign])).toEqual({
      candidates: 1,
      probed: 1,
      passing: 1,
    });
  });

  it("does not count drained endpoints: draining is no failure", () => {
    const slice = rawSlice("web", "node-a", [bad("a", "10.0.0.1"), ok("b", "10.0.0.2")]);
    const reports = slice.metadata as { annotations: Record<string, string> };
    const key = Object.keys(reports.annotations).find(k => k.endsWith("endpoint-reports"))!;
    const parsed = JSON.parse(reports.annotations[key]!) as Array<Record<string, unknown>>;
    parsed[0]!.drained = true;
    reports.annotations[key] = JSON.stringify(parsed);
    expect(count([slice])).toEqual({ candidates: 1, probed: 1, passing: 1 });
  });

  it("counts an endpoint listed by two slices (two port mappings) once", () => {
    const a = rawSlice("web", "node-a", [bad("a", "10.0.0.1")], { sliceName: "one" });
    const b = rawSlice("web", "node-a", [bad("a", "10.0.0.1")], { sliceName: "two" });
    expect(count([a, b])).toEqual({ candidates: 1, probed: 1, passing: 0 });
  });
});

/** One planned run: the status written, the events, the summaries. */
function runOnce(swh: Json, slices: Json[], now = NOW) {
  const plan = planStatus({ ...snapshots([swh], [], slices) }, now);
  const write = plan.writes[0]?.mergePatch as ServiceWithHealthchecksStatus | undefined;
  const stored = applyMergePatch(swh.status ?? {}, write ?? {}) as Json;
  return { plan, stored, failOpen: condition(stored, "FailOpen") };
}

const TWO_FAIL = [ok("a", "10.0.0.1"), bad("b", "10.0.0.2"), bad("c", "10.0.0.3")];
const ALL_PASS = [ok("a", "10.0.0.1"), ok("b", "10.0.0.2"), ok("c", "10.0.0.3")];

describe("fail-open in the status hook's run", () => {
  it("writes nothing of it for an SWH without failOpen, and removes what was left", () => {
    const plain = rawSwh("web");
    const first = runOnce(plain, [rawSlice("web", "node-a", TWO_FAIL)]);
    expect(first.stored.failOpen).toBeUndefined();
    expect(first.failOpen).toBeUndefined();
    expect(first.plan.summaries[0]?.failOpen).toBeUndefined();
    const leftover = runOnce(failOpenSwh(), [rawSlice("web", "node-a", TWO_FAIL)]).stored;
    const removed = runOnce(rawSwh("web", { status: leftover }), [
      rawSlice("web", "node-a", TWO_FAIL),
    ]);
    expect([removed.stored.failOpen, removed.failOpen]).toEqual([undefined, undefined]);
    expect(removed.plan.events.map(e => (e.object as Json).reason)).toEqual(["FailOpenEnded"]);
  });

  it("starts with the condition, the status, an event and the gauge; a repeat adds nothing", () => {
    const swh = failOpenSwh();
    const first = runOnce(swh, [rawSlice("web", "node-a", TWO_FAIL)]);
    expect(first.stored.failOpen).toEqual({
      active: true,
      passingEndpoints: 1,
      probedEndpoints: 3,
    });
    expect(first.failOpen).toEqual<Condition>({
      type: "FailOpen",
      status: "True",
      reason: "TooFewPassing",
      message:
        "1 of 3 endpoints pass (33%), below failOpen.minPassingPercent 50: publishing all 3.",
      lastTransitionTime: "2024-05-01T10:00:00Z",
      observedGeneration: 3,
    });
    expect(first.plan.summaries[0]?.failOpen).toBe(true);
    expect(first.plan.failOpenChanges).toEqual([
      { namespace: "prod", name: "web", started: true, message: first.failOpen!.message },
    ]);
    const [event, ...more] = first.plan.events;
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      operation: "CreateIfNotExists",
      object: {
        apiVersion: "events.k8s.io/v1",
        kind: "Event",
        metadata: { namespace: "prod", name: expect.stringMatching(/^web\.failopen-[0-9a-f]{8}$/) },
        type: "Warning",
        reason: "FailOpen",
        note: `Fail-open: ${first.failOpen!.message}`,
        regarding: { kind: "ServiceWithHealthchecks", name: "web", uid: "uid-web" },
      },
    });
    // the same snapshot again (the status write not seen yet): the same Event name
    const again = runOnce(
      swh,
      [rawSlice("web", "node-a", TWO_FAIL)],
      new Date(NOW.getTime() + 1000),
    );
    expect(again.plan.events.map(e => (e.object as Json).metadata)).toEqual([
      (event!.object as Json).metadata,
    ]);
    // once the status is stored: nothing new
    const settled = runOnce(failOpenSwh(first.stored), [rawSlice("web", "node-a", TWO_FAIL)]);
    expect([settled.plan.writes, settled.plan.events]).toEqual([[], []]);
  });

  it("holds, then ends with an event; the condition time moves only with its status", () => {
    const on = runOnce(failOpenSwh(), [rawSlice("web", "node-a", TWO_FAIL)]).stored;
    const healed = [publishedReady(ALL_PASS)];
    const t = (s: number): Date => new Date(NOW.getTime() + s * 1000);
    const hold = runOnce(failOpenSwh(on), healed, t(10));
    expect(hold.failOpen).toMatchObject({
      status: "True",
      reason: "PassingAgain",
      lastTransitionTime: "2024-05-01T10:00:00Z",
    });
    expect(hold.stored.failOpen).toEqual({
      active: true,
      passingEndpoints: 3,
      probedEndpoints: 3,
      passingSince: "2024-05-01T10:00:10Z",
    });
    expect(hold.plan.events).toEqual([]);
    const still = runOnce(failOpenSwh(hold.stored), healed, t(39));
    expect([still.plan.writes, still.plan.events]).toEqual([[], []]);
    const off = runOnce(failOpenSwh(hold.stored), healed, t(40));
    expect(off.failOpen).toMatchObject({
      status: "False",
      reason: "EnoughPassing",
      lastTransitionTime: "2024-05-01T10:00:40Z",
    });
    expect(off.stored.failOpen).toEqual({ active: false, passingEndpoints: 3, probedEndpoints: 3 });
    expect(off.plan.events.map(e => [(e.object as Json).type, (e.object as Json).reason])).toEqual([
      ["Normal", "FailOpenEnded"],
    ]);
    expect(off.plan.summaries[0]?.failOpen).toBe(false);
  });

  it("creates no Event in a namespace being deleted", () => {
    const s = { ...snapshots([failOpenSwh()], [], [rawSlice("web", "node-a", TWO_FAIL)]) };
    const plan = planStatus({ ...s, namespaces: [{ name: "prod" }] }, NOW);
    expect([plan.writes.length, plan.events]).toEqual([1, []]);
  });
});
