// Tests for folding slices into endpoint statuses, for the Go implementation's legacy slices:
// their endpoints count (they carry traffic until handed over) and say they are not probed by
// our agent yet; an endpoint our agent also publishes is one endpoint, described by our report.

import { filterEndpointSlice, type EndpointSliceSnapshot } from "../lib/agent-slices.js";
import { LEGACY_ONLY_MESSAGE, summarizeEndpoints } from "./endpoints.js";
import { EARLIER_TIME, HTTP_FAIL, rawLegacySlice, rawSlice, type Json } from "./test-fixtures.js";

const SWH = { uid: "uid-web" };

function snap(raw: Json): EndpointSliceSnapshot {
  const slice = filterEndpointSlice(raw);
  if (slice === undefined) throw new Error("fixture slice did not pass the filter");
  return slice;
}

describe("summarizeEndpoints with legacy slices", () => {
  const legacy = snap(
    rawLegacySlice("web", "node-a", [
      { pod: "web-0", ip: "10.0.0.1", ready: true },
      { pod: "web-1", ip: "10.0.0.2", ready: true },
    ]),
  );

  it("counts endpoints only a legacy slice lists, and says so", () => {
    expect(legacy.legacy).toBe(true);
    const summary = summarizeEndpoints(SWH, [legacy]);
    expect([summary.total, summary.ready]).toEqual([2, 2]);
    expect(summary.statuses.map(s => [s.podName, s.ready, s.message])).toEqual([
      ["web-0", true, LEGACY_ONLY_MESSAGE],
      ["web-1", true, LEGACY_ONLY_MESSAGE],
    ]);
  });

  it("merges an endpoint our agent publishes too: one endpoint, our report, ready if both are", () => {
    const ours = snap(
      rawSlice(
        "web",
        "node-a",
        [
          { pod: "web-0", ip: "10.0.0.1", ready: true },
          { pod: "web-1", ip: "10.0.0.2", ready: false, failures: [HTTP_FAIL] },
        ],
        { sliceName: "web-node-a-1a2b3c4d" },
      ),
    );
    for (const order of [
      [legacy, ours],
      [ours, legacy],
    ]) {
      const summary = summarizeEndpoints(SWH, order);
      expect([summary.total, summary.ready]).toEqual([2, 1]);
      expect(summary.statuses).toEqual([
        {
          podName: "web-1",
          nodeName: "node-a",
          address: "10.0.0.2",
          ready: false,
          probesSuccessful: false,
          failedProbes: [HTTP_FAIL.probe],
          message: `${HTTP_FAIL.probe}: ${HTTP_FAIL.reason}`,
          lastTransitionTime: EARLIER_TIME,
        },
        {
          podName: "web-0",
          nodeName: "node-a",
          address: "10.0.0.1",
          ready: true,
          probesSuccessful: true,
          lastTransitionTime: EARLIER_TIME,
        },
      ]);
    }
  });

  it("ignores a legacy slice owned by an earlier SWH of the same name", () => {
    expect(summarizeEndpoints({ uid: "uid-new" }, [legacy]).total).toBe(0);
  });
});
