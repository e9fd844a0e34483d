// One SWH's sync with a fake applier that records the plans it is given (the way the Kubernetes
// EndpointSlice reconciler's tests count client actions): nothing applied when the store already
// holds the desired slices, a conflict re-plans from the store, a slice that keeps conflicting
// fails after the last round, an error stops at once, a gone SWH deletes its slices, and a flipped
// endpoint records one event.

import { ANNOTATION_ENDPOINT_REPORTS } from "../../../../api/contract.js";
import { decodeReports } from "../../../../api/endpoint-reports.js";
import { NODE, manyPods, probeState, swh } from "../../../../tests/agent/fixtures.js";
import { computeDesired, type SwhDesired } from "../desired/endpoints.js";
import { EndpointHistory } from "../endpoint-history.js";
import type { EventInput } from "../events/recorder.js";
import type { RawEndpointSlice } from "swh-kube-client";
import { createLogger } from "../log.js";
import type { ProbeState } from "../scheduler/types.js";
import type { ApplyOutcome } from "../slices/applier.js";
import { planSize, type SlicePlan } from "../slices/plan.js";
import { MAX_APPLY_ROUNDS, SliceSyncer } from "./slice-syncer.js";

const quiet = createLogger({ level: "error", sink: () => undefined });
const s = swh();
const desired = (): SwhDesired => {
  const d = computeDesired({
    swhs: [s],
    pods: manyPods(2),
    credentials: () => ({ error: "no Secret" }),
  });
  const sd = d.swhs.get(s.uid);
  if (!sd) throw new Error("fixture SWH not published");
  return sd;
};

/** A store, an applier that records plans and answers from a script, and the syncer. */
function setup(opts: {
  readonly outcomes?: ReadonlyArray<Partial<ApplyOutcome>>;
  readonly sd?: SwhDesired | undefined;
  readonly healthy?: () => boolean;
  readonly owned?: RawEndpointSlice[];
}) {
  const owned: RawEndpointSlice[] = opts.owned ?? [];
  const plans: SlicePlan[] = [];
  const events: EventInput[] = [];
  const propagated: number[] = [];
  let call = 0;
  const syncer = new SliceSyncer({
    nodeName: NODE,
    verbose: false,
    desired: () => ("sd" in opts ? opts.sd : desired()),
    stateOf: (): ProbeState => probeState(opts.healthy?.() ?? true),
    ownedBy: () => owned,
    applier: {
      apply: plan => {
        plans.push(plan);
        const outcome = { writes: planSize(plan), conflict: false, ...opts.outcomes?.[call++] };
        // A successful write lands in the store, as SliceApplier records it.
        if (!outcome.conflict && !outcome.error) {
          owned.splice(0, owned.length, ...plan.create, ...plan.update);
        }
        return Promise.resolve(outcome);
      },
    },
    history: new EndpointHistory(),
    events: { record: e => void events.push(e) },
    log: quiet,
    now: () => 10_000,
    onPropagated: seconds => void propagated.push(seconds),
  });
  return { syncer, plans, events, propagated, owned };
}

describe("SliceSyncer", () => {
  it("writes the desired slices once, then nothing while nothing changes", async () => {
    const t = setup({});
    await t.syncer.sync(s.uid, 4_000);
    expect(t.plans.map(p => [p.create.length, p.update.length, p.delete.length])).toEqual([
      [1, 0, 0],
    ]);
    expect(t.propagated).toEqual([6]);
    await t.syncer.sync(s.uid, 9_000);
    expect(t.plans).toHaveLength(1);
    expect(t.propagated).toEqual([6]);
  });

  it("re-plans after a conflict, from what the store then holds", async () => {
    const t = setup({ outcomes: [{ writes: 0, conflict: true }] });
    await t.syncer.sync(s.uid, 0);
    expect(t.plans).toHaveLength(2);
    expect(t.plans[1]?.create).toHaveLength(1);
  });

  it(`fails after ${MAX_APPLY_ROUNDS} conflicting rounds`, async () => {
    const conflict = { writes: 0, conflict: true };
    const t = setup({ outcomes: Array.from({ length: MAX_APPLY_ROUNDS }, () => conflict) });
    await expect(t.syncer.sync(s.uid, 0)).rejects.toThrow(/kept conflicting/);
    expect(t.plans).toHaveLength(MAX_APPLY_ROUNDS);
  });

  it("stops at the first error, for the queue to retry", async () => {
    const t = setup({ outcomes: [{ writes: 0, error: new Error("503 from the API server") }] });
    await expect(t.syncer.sync(s.uid, 0)).rejects.toThrow(/503/);
    expect(t.plans).toHaveLength(1);
  });

  it("deletes the slices of an SWH that is no longer published", async () => {
    const first = setup({});
    await first.syncer.sync(s.uid, 0);
    const t = setup({ sd: undefined, owned: [...first.owned] });
    await t.syncer.sync(s.uid, 0);
    expect(t.plans.map(p => [p.create.length, p.update.length, p.delete.length])).toEqual([
      [0, 0, 1],
    ]);
  });

  it("records one event per endpoint that flips, and none when nothing flips", async () => {
    let healthy = true;
    const t = setup({ healthy: () => healthy });
    await t.syncer.sync(s.uid, 0);
    expect(t.events).toEqual([]);
    healthy = false;
    await t.syncer.sync(s.uid, 0);
    expect(t.events.map(e => [e.reason, e.type])).toEqual([
      ["EndpointNotReady", "Warning"],
      ["EndpointNotReady", "Warning"],
    ]);
    await t.syncer.sync(s.uid, 0);
    expect(t.events).toHaveLength(2);
  });

  it("publishes failing endpoints ready under fail-open, reporting the probes' truth", async () => {
    const open = desired();
    let healthy = true;
    const t = setup({
      healthy: () => healthy,
      sd: { ...open, swh: { ...open.swh, failOpen: true } },
    });
    await t.syncer.sync(s.uid, 0);
    healthy = false;
    await t.syncer.sync(s.uid, 0);
    const [slice] = t.owned;
    expect(slice?.endpoints?.map(e => e.conditions)).toEqual([
      { ready: true, serving: true, terminating: false },
      { ready: true, serving: true, terminating: false },
    ]);
    const reports = decodeReports(slice?.metadata?.annotations?.[ANNOTATION_ENDPOINT_REPORTS]);
    expect(reports.reports.map(r => r.ready)).toEqual([false, false]);
    // the probes' truth drives the events too
    expect(t.events.map(e => e.reason)).toEqual(["EndpointNotReady", "EndpointNotReady"]);
  });
});
