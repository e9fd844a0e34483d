// The fail-open mask: published ready and serving while the decision applies, never for a
// terminating endpoint, and the probes' truth (healthy, failures) always kept for the report.
import { applyDrain } from "./drain.js";
import { applyFailOpen } from "./fail-open.js";
import type { EndpointVerdict } from "./readiness.js";

const failing: EndpointVerdict = {
  healthy: false,
  failures: [{ probe: "HTTP:10.0.0.1:8080", reason: "HTTP 503" }],
  conditions: { ready: false, serving: false, terminating: false },
};

describe("applyFailOpen", () => {
  it("publishes a failing endpoint ready and serving, keeping what its probes say", () => {
    expect(applyFailOpen(failing, true)).toEqual({
      ...failing,
      conditions: { ready: true, serving: true, terminating: false },
    });
  });

  it("changes nothing while fail-open does not apply", () => {
    expect(applyFailOpen(failing, false)).toBe(failing);
  });

  it("leaves a terminating endpoint as it is", () => {
    const terminating: EndpointVerdict = {
      ...failing,
      conditions: { ready: false, serving: false, terminating: true },
    };
    expect(applyFailOpen(terminating, true)).toBe(terminating);
  });

  it("leaves a passing endpoint as it is", () => {
    const passing: EndpointVerdict = {
      healthy: true,
      failures: [],
      conditions: { ready: true, serving: true, terminating: false },
    };
    expect(applyFailOpen(passing, true)).toBe(passing);
  });
});

describe("fail-open and drain together (the slice syncer's order)", () => {
  it("keeps a drained endpoint out even while fail-open publishes the others", () => {
    const published = applyDrain(applyFailOpen(failing, true), "drained");
    expect(published.conditions).toEqual({ ready: false, serving: false, terminating: false });
  });
});
