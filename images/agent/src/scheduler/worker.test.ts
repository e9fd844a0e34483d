// Pure helpers of the worker: grid arithmetic, initial delay, clamping and the public snapshot.

import { effectiveTiming, initialDelayEnd, newWorker, nextDue, snapshot } from "./worker.js";
import type { WorkerSpec } from "./types.js";

const spec: WorkerSpec = {
  key: "k",
  address: "10.0.0.1",
  probe: { mode: "TCP", port: 80 },
  periodMs: 1_000,
  timeoutMs: 500,
  initialDelayMs: 10_000,
  successThreshold: 1,
  failureThreshold: 3,
};

describe("nextDue", () => {
  it.each([
    // on time: the next grid slot
    [0, 1_000, 10, 1_000],
    // finished exactly at the next slot: that slot (run immediately)
    [0, 1_000, 1_000, 2_000],
    // ran or queued 2.5 periods long: skips the missed slots, stays on the grid
    [0, 1_000, 2_500, 3_000],
    [500, 1_000, 4_499, 4_500],
  ])("due %d, period %d, now %d -> %d", (due, period, now, expected) => {
    expect(nextDue(due, period, now)).toBe(expected);
  });
});

describe("initialDelayEnd", () => {
  it("counts from the pod start when known", () => {
    expect(initialDelayEnd({ ...spec, podStartedAt: new Date(5_000) }, 100_000)).toBe(15_000);
  });
  it("counts from now without a pod start", () => {
    expect(initialDelayEnd(spec, 100_000)).toBe(110_000);
  });
  it("treats a negative delay as none", () => {
    expect(initialDelayEnd({ ...spec, initialDelayMs: -5 }, 7)).toBe(7);
  });
});

describe("effectiveTiming", () => {
  it("clamps zero and negative values to 1", () => {
    expect(
      effectiveTiming({
        ...spec,
        periodMs: 0,
        timeoutMs: -1,
        successThreshold: 0,
        failureThreshold: 0,
      }),
    ).toEqual({ periodMs: 1, timeoutMs: 1, successThreshold: 1, failureThreshold: 1 });
  });
});

describe("snapshot", () => {
  it("starts unknown and without lastProbeAt", () => {
    expect(snapshot(newWorker(spec, 42, () => undefined))).toEqual({
      healthy: false,
      known: false,
      reason: "",
      since: new Date(42),
    });
  });
  it("starts from the adopted state", () => {
    expect(
      snapshot(newWorker({ ...spec, initialHealthy: true }, 42, () => undefined)),
    ).toMatchObject({
      healthy: true,
      known: true,
    });
  });
});
