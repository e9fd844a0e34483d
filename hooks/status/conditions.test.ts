// Tests for condition settling: the transition time moves only when status, reason or message
// does, and observedGeneration follows the SWH.

import type { Condition } from "../../api/v1alpha1.js";
import { settleCondition } from "./conditions.js";
import { EARLIER_TIME, NOW } from "./test-fixtures.js";

describe("settleCondition", () => {
  const previous: Condition = {
    type: "Ready",
    status: "True",
    reason: "AllEndpointsAreReady",
    message: "1 of 1 endpoints ready",
    lastTransitionTime: EARLIER_TIME,
    observedGeneration: 2,
  };

  it.each([
    // nothing changed: old time kept, generation refreshed
    [
      { status: "True", reason: "AllEndpointsAreReady", message: "1 of 1 endpoints ready" },
      EARLIER_TIME,
    ],
    // message changed
    [
      { status: "True", reason: "SomeEndpointsAreReady", message: "1 of 2 endpoints ready" },
      "2024-05-01T10:00:00Z",
    ],
    // status changed
    [
      { status: "False", reason: "NoReadyEndpoints", message: "0 of 1 endpoints ready" },
      "2024-05-01T10:00:00Z",
    ],
  ] as const)("%j transitions at %s", (core, time) => {
    const settled = settleCondition({ type: "Ready", ...core }, previous, 3, NOW);
    expect(settled.lastTransitionTime).toBe(time);
    expect(settled.observedGeneration).toBe(3);
  });

  it("stamps a new condition with now", () => {
    const core = { type: "Ready", status: "False", reason: "NoEndpoints", message: "x" } as const;
    expect(settleCondition(core, undefined, 1, NOW).lastTransitionTime).toBe(
      "2024-05-01T10:00:00Z",
    );
  });
});
