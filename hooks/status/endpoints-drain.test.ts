// A drained endpoint in the status (the pod annotation network.deckhouse.io/drain-from, issue
// #12): `drained: true`, the Drain entry in the message only, `probesSuccessful` and
// `failedProbes` about the probes alone; the same after the drain is removed, without the flag,
// until a probe result passes.

import { ANNOTATION_ENDPOINT_REPORTS, type EndpointReport } from "../../api/contract.js";
import { filterEndpointSlice } from "../lib/agent-slices.js";
import { summarizeEndpoints } from "./endpoints.js";
import { HTTP_FAIL, rawSlice } from "./test-fixtures.js";

const DRAINED = { probe: "Drain", reason: "drained by annotation network.deckhouse.io/drain-from" };

/** A slice with one not-ready endpoint of web-1 whose report is `report`. */
function statusOf(report: Partial<EndpointReport>) {
  const raw = rawSlice("web", "node-a", [{ pod: "web-1", ip: "10.0.0.2", ready: false }]) as {
    metadata: { annotations: Record<string, string> };
  };
  const full = { pod: "web-1", address: "10.0.0.2", ready: false, failedProbes: [], ...report };
  raw.metadata.annotations[ANNOTATION_ENDPOINT_REPORTS] = JSON.stringify([full]);
  const slice = filterEndpointSlice(raw)!;
  return summarizeEndpoints({ uid: "uid-web" }, [slice]).statuses[0];
}

describe("a drained endpoint's status", () => {
  it("is drained, not ready, its probes successful, the drain in the message", () => {
    expect(statusOf({ failedProbes: [DRAINED], drained: true })).toEqual({
      podName: "web-1",
      nodeName: "node-a",
      address: "10.0.0.2",
      ready: false,
      probesSuccessful: true,
      drained: true,
      message: `Drain: ${DRAINED.reason}`,
    });
  });

  it("lists the failing probes apart from the drain", () => {
    const status = statusOf({ failedProbes: [DRAINED, HTTP_FAIL], drained: true });
    expect(status).toMatchObject({
      probesSuccessful: false,
      failedProbes: [HTTP_FAIL.probe],
      drained: true,
      message: `Drain: ${DRAINED.reason}; ${HTTP_FAIL.probe}: ${HTTP_FAIL.reason}`,
    });
  });

  it("drops the flag once the annotation is removed, the message saying what it waits for", () => {
    const restoring = { probe: "Drain", reason: "annotation removed, awaiting a passing probe" };
    const status = statusOf({ failedProbes: [restoring] });
    expect(status?.drained).toBeUndefined();
    expect(status).toMatchObject({ ready: false, probesSuccessful: true });
    expect(status?.message).toBe(`Drain: ${restoring.reason}`);
  });
});
