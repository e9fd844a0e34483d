// The threshold state machine, one result at a time (the kubelet TestFailureThreshold shape).

import { applyResult, initialState, isReportable, type ThresholdState } from "./thresholds.js";

const T = { successThreshold: 1, failureThreshold: 3 };

/** Feeds results to the machine and returns the (healthy, known) pair after each one. */
function run(start: ThresholdState, results: boolean[], thresholds = T): Array<[boolean, boolean]> {
  let state = start;
  return results.map(ok => {
    state = applyResult(state, ok, ok ? "" : "HTTP 503", thresholds);
    return [state.healthy, state.known];
  });
}

describe("applyResult", () => {
  it("success x3 -> healthy; failure x2 still healthy; 3rd failure -> unhealthy", () => {
    expect(run(initialState(), [true, true, true, false, false, false, false])).toEqual([
      [true, true],
      [true, true],
      [true, true],
      [true, true],
      [true, true],
      [false, true],
      [false, true],
    ]);
  });

  it.each<[string, ThresholdState, boolean[], Array<[boolean, boolean]>, typeof T]>([
    // a fresh worker stays unknown until a run reaches a threshold
    [
      "fresh, failures",
      initialState(),
      [false, false, false],
      [
        [false, false],
        [false, false],
        [false, true],
      ],
      T,
    ],
    // successThreshold 2 needs two consecutive successes, a failure in between resets the run
    [
      "successThreshold 2",
      initialState(false),
      [true, false, true, true],
      [
        [false, true],
        [false, true],
        [false, true],
        [true, true],
      ],
      { successThreshold: 2, failureThreshold: 3 },
    ],
    // adopted healthy: keeps healthy until failureThreshold consecutive failures
    [
      "adopted healthy",
      initialState(true),
      [false, false, true, false, false, false],
      [
        [true, true],
        [true, true],
        [true, true],
        [true, true],
        [true, true],
        [false, true],
      ],
      T,
    ],
    // adopted unhealthy: one success (threshold 1) is enough to become healthy
    ["adopted unhealthy", initialState(false), [true], [[true, true]], T],
    // failureThreshold 1 flips on the first failure
    [
      "failureThreshold 1",
      initialState(true),
      [false, true],
      [
        [false, true],
        [true, true],
      ],
      {
        successThreshold: 1,
        failureThreshold: 1,
      },
    ],
  ])("%s", (_, start, results, expected, thresholds) => {
    expect(run(start, results, thresholds)).toEqual(expected);
  });

  it("keeps the latest failure reason while unhealthy and clears it when healthy", () => {
    let state = initialState(false);
    state = applyResult(state, false, "connect ECONNREFUSED", T);
    expect(state.reason).toBe("connect ECONNREFUSED");
    state = applyResult(state, false, "timeout after 1000 ms", T);
    expect(state.reason).toBe("timeout after 1000 ms");
    state = applyResult(state, true, "", T);
    expect(state).toMatchObject({ healthy: true, reason: "" });
    state = applyResult(state, false, "HTTP 500", T);
    expect(state).toMatchObject({ healthy: true, reason: "" });
  });

  it("never mutates its input", () => {
    const start = Object.freeze(initialState());
    expect(() => applyResult(start, true, "", T)).not.toThrow();
    expect(start).toEqual(initialState());
  });
});

describe("isReportable", () => {
  const base = initialState(false);
  it.each<[string, ThresholdState, ThresholdState, boolean]>([
    // the same state again is not a change
    ["repeat", base, { ...base, run: 5, lastOk: false }, false],
    // healthy flipped
    ["healthy flip", base, { ...base, healthy: true }, true],
    // known flipped (first threshold crossing to unhealthy)
    ["known flip", { ...base, known: false }, base, true],
    // new failure reason while unhealthy: the status shows it
    ["reason while unhealthy", { ...base, reason: "a" }, { ...base, reason: "b" }, true],
    // reason changes while healthy are invisible
    [
      "reason while healthy",
      { ...base, healthy: true, reason: "" },
      { ...base, healthy: true, reason: "" },
      false,
    ],
  ])("%s -> %s", (_, before, after, expected) => {
    expect(isReportable(before, after)).toBe(expected);
  });
});
