// The drained gauge: a series per SWH from its first drained endpoint, kept at 0 after the drain
// ends, removed when the SWH has no endpoint on the node any more.

import { pod, swh } from "../../../../tests/agent/fixtures.js";
import { computeDesired } from "../desired/endpoints.js";
import { applyDrain } from "../desired/drain.js";
import { evaluateEndpoint } from "../desired/readiness.js";
import type { EvaluatedEndpoint } from "../slices/build.js";
import { DrainedCounts, countDrained, type DrainedGauge } from "./drain-counts.js";
import { probeState } from "../../../../tests/agent/fixtures.js";

const s = swh({ name: "web" });

function evaluatedWith(drained: readonly boolean[]): EvaluatedEndpoint[] {
  const pods = drained.map((_, i) => pod({ name: `p${i}`, ips: [`10.0.0.${i + 1}`] }));
  const d = computeDesired({ swhs: [s], pods, credentials: () => ({ error: "no Secret" }) });
  return d.swhs.get(s.uid)!.endpoints.map((endpoint, i) => ({
    endpoint,
    verdict: applyDrain(
      evaluateEndpoint(endpoint, () => probeState(true), false),
      drained[i] ? "drained" : undefined,
    ),
  }));
}

function recordingGauge(): DrainedGauge & { series: Map<string, number> } {
  const series = new Map<string, number>();
  return {
    series,
    labels: (namespace, name) => ({ set: v => void series.set(`${namespace}/${name}`, v) }),
    remove: (namespace, name) => void series.delete(`${namespace}/${name}`),
  };
}

describe("DrainedCounts", () => {
  it("counts the drained endpoints only", () => {
    expect(countDrained(evaluatedWith([true, false, true]))).toBe(2);
  });

  it("creates no series for an SWH that was never drained", () => {
    const counts = new DrainedCounts();
    const gauge = recordingGauge();
    counts.set(s.uid, s, evaluatedWith([false, false]));
    counts.publish(gauge);
    expect([...gauge.series]).toEqual([]);
  });

  it("keeps the series at 0 after the drain, and removes it when the SWH is gone", () => {
    const counts = new DrainedCounts();
    const gauge = recordingGauge();
    counts.set(s.uid, s, evaluatedWith([true, false]));
    counts.publish(gauge);
    expect([...gauge.series]).toEqual([["ns/web", 1]]);
    counts.set(s.uid, s, evaluatedWith([false, false]));
    counts.publish(gauge);
    expect([...gauge.series]).toEqual([["ns/web", 0]]);
    counts.set(s.uid, undefined, []);
    counts.publish(gauge);
    expect([...gauge.series]).toEqual([]);
  });
});
