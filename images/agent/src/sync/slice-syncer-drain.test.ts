// A drain through the slice syncer on fake time: the pod's annotation takes the endpoint out
// (ready false, serving false, a Drain entry and `drained` in the report, one Drained event, no
// EndpointNotReady); removing it does not bring the endpoint back on the probe result from before
// the removal, nor on a fresh failing one, only on the first passing result after the removal
// (DrainRemoved when the annotation goes, EndpointReady when it is back).

import { ANNOTATION_DRAIN_FROM, ANNOTATION_ENDPOINT_REPORTS } from "../../../../api/contract.js";
import { decodeReports } from "../../../../api/endpoint-reports.js";
import { NODE, pod, swh } from "../../../../tests/agent/fixtures.js";
import { computeDesired } from "../desired/endpoints.js";
import { EndpointHistory } from "../endpoint-history.js";
import type { EventInput } from "../events/recorder.js";
import { createLogger } from "../log.js";
import type { ProbeState } from "../scheduler/types.js";
import { planSize } from "../slices/plan.js";
import type { RawEndpointSlice } from "swh-kube-client";
import { DrainTracker } from "./drain-tracker.js";
import { SliceSyncer } from "./slice-syncer.js";

const quiet = createLogger({ level: "error", sink: () => undefined });

function setup(opts: { publishNotReadyAddresses?: boolean } = {}) {
  const s = swh({
    name: "web",
    spec: { publishNotReadyAddresses: opts.publishNotReadyAddresses === true },
  });
  let now = Date.parse("2024-01-01T00:00:00Z");
  let annotation: string | undefined;
  let probe: ProbeState = {
    healthy: true,
    known: true,
    reason: "",
    since: new Date(now),
    lastProbeAt: new Date(now),
    lastOk: true,
  };
  const owned: RawEndpointSlice[] = [];
  const events: EventInput[] = [];
  const drains = new DrainTracker();
  const syncer = new SliceSyncer({
    nodeName: NODE,
    verbose: false,
    desired: () => {
      const annotations: Record<string, string> =
        annotation === undefined ? {} : { [ANNOTATION_DRAIN_FROM]: annotation };
      const d = computeDesired({
        swhs: [s],
        pods: [pod({ name: "p", annotations })],
        credentials: () => ({ error: "no Secret" }),
      });
      return d.swhs.get(s.uid);
    },
    stateOf: () => probe,
    ownedBy: () => owned,
    applier: {
      apply: plan => {
        owned.splice(0, owned.length, ...plan.create, ...plan.update);
        return Promise.resolve({ writes: planSize(plan), conflict: false });
      },
    },
    history: new EndpointHistory(),
    drains,
    events: { record: e => void events.push(e) },
    log: quiet,
    now: () => now,
  });
  const sync = async (): Promise<void> => syncer.sync(s.uid, now);
  const endpoint = () => owned[0]!.endpoints![0]!;
  const report = () =>
    decodeReports(owned[0]!.metadata!.annotations![ANNOTATION_ENDPOINT_REPORTS]).reports[0]!;
  return {
    sync,
    endpoint,
    report,
    events,
    drains,
    annotate: (value: string | undefined) => void (annotation = value),
    advance: (ms: number) => void (now += ms),
    /** A probe result arrives now. */
    probe: (ok: boolean, healthy = ok) => {
      probe = {
        ...probe,
        healthy,
        lastOk: ok,
        lastProbeAt: new Date(now),
        reason: ok ? "" : "HTTP 503",
      };
    },
  };
}

const reasons = (events: readonly EventInput[]): string[] => events.map(e => e.reason);

describe("a drain through the slice syncer", () => {
  it("takes the endpoint out with one Drained event and no EndpointNotReady", async () => {
    const t = setup();
    await t.sync();
    expect(t.endpoint().conditions).toEqual({ ready: true, serving: true, terminating: false });
    t.annotate(" web ");
    t.advance(1_000);
    await t.sync();
    expect(t.endpoint().conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect(t.report()).toMatchObject({
      ready: false,
      drained: true,
      failedProbes: [{ probe: "Drain", reason: `drained by annotation ${ANNOTATION_DRAIN_FROM}` }],
    });
    expect(reasons(t.events)).toEqual(["Drained"]);
    expect(t.events[0]).toMatchObject({
      type: "Normal",
      regarding: { name: "web", namespace: "ns" },
      related: { name: "p" },
    });
    expect(t.events[0]?.note).toMatch(/pod p \(10\.0\.0\.1\)/);
    // Probes keep running; a passing one changes nothing while drained.
    t.advance(10_000);
    t.probe(true);
    await t.sync();
    expect(t.endpoint().conditions?.ready).toBe(false);
    expect(reasons(t.events)).toEqual(["Drained"]);
  });

  it("drains with `*` and wins over publishNotReadyAddresses", async () => {
    const t = setup({ publishNotReadyAddresses: true });
    t.annotate("*");
    await t.sync();
    expect(t.endpoint().conditions).toEqual({ ready: false, serving: false, terminating: false });
  });

  it("ignores an annotation that names other SWHs", async () => {
    const t = setup();
    t.annotate("smtp, Not A Name");
    await t.sync();
    expect(t.endpoint().conditions?.ready).toBe(true);
    expect(t.report().drained).toBeUndefined();
    expect(t.events).toEqual([]);
  });

  it("restores only at the first passing result after the removal, never on a stale one", async () => {
    const t = setup();
    t.annotate("web");
    await t.sync();
    t.advance(5_000);
    t.probe(true); // a pass while drained: before the removal, so stale afterwards
    t.advance(1_000);
    t.annotate(undefined);
    await t.sync();
    expect(reasons(t.events)).toEqual(["Drained", "DrainRemoved"]);
    expect(t.events[1]?.note).toMatch(/returns at its next passing probe/);
    expect(t.endpoint().conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect(t.report()).toMatchObject({ ready: false, failedProbes: [{ probe: "Drain" }] });
    expect(t.report().drained).toBeUndefined();
    expect(t.drains.restoring("swh-web|uid-p|10.0.0.1")).toBe(true);

    // Syncing again with nothing new: still out.
    t.advance(2_000);
    await t.sync();
    expect(t.endpoint().conditions?.ready).toBe(false);

    // A fresh failure below the failure threshold (still healthy when thresholded): still out.
    t.advance(2_000);
    t.probe(false, true);
    await t.sync();
    expect(t.endpoint().conditions?.ready).toBe(false);

    // The next passing result: back, with EndpointReady.
    t.advance(10_000);
    t.probe(true);
    await t.sync();
    expect(t.endpoint().conditions).toEqual({ ready: true, serving: true, terminating: false });
    expect(t.report()).toMatchObject({ ready: true, failedProbes: [] });
    expect(reasons(t.events)).toEqual(["Drained", "DrainRemoved", "EndpointReady"]);
    expect(t.drains.size).toBe(0);
  });

  it("reports a probe failure as usual while drained, and stays not ready after the removal", async () => {
    const t = setup();
    t.annotate("web");
    await t.sync();
    t.advance(1_000);
    t.probe(false);
    await t.sync();
    expect(t.report().failedProbes.map(f => f.probe)).toEqual(["Drain", "TCP:10.0.0.1:5432"]);
    t.annotate(undefined);
    t.advance(1_000);
    await t.sync();
    t.advance(10_000);
    t.probe(false);
    await t.sync();
    expect(t.endpoint().conditions?.ready).toBe(false);
    // A passing result after the removal ends the drain; the thresholded state decides then.
    t.advance(10_000);
    t.probe(true);
    await t.sync();
    expect(t.drains.size).toBe(0);
    expect(t.endpoint().conditions?.ready).toBe(true);
  });
});
