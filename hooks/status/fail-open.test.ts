// The fail-open decision on fake time: it starts at once below the minimum, ends only after the
// share held at or above it for the hold, restarts the hold on every dip (so flapping inputs never
// make it flap), keeps the previous decision while no endpoint has a probe result, and does not
// start while endpoints awaiting a first result could still lift the share to the minimum.
import { REASON } from "../../api/v1alpha1.js";
import { decideFailOpen, type FailOpenCounts, type StoredFailOpen } from "./fail-open.js";

const SETTINGS = { minPassingPercent: 50, holdMs: 30_000 };
const T0 = Date.parse("2026-01-01T00:00:00Z");
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);
const counts = (passing: number, probed = 3, candidates = probed): FailOpenCounts => ({
  candidates,
  probed,
  passing,
});
const OFF: StoredFailOpen = { active: false };
const ON: StoredFailOpen = { active: true };

/** Runs the decision over `(second, passing of 3)` steps, each run seeing the last one's state. */
function run(steps: ReadonlyArray<readonly [number, number]>): boolean[] {
  let stored: StoredFailOpen = OFF;
  return steps.map(([second, passing]) => {
    const d = decideFailOpen(SETTINGS, counts(passing), stored, at(second));
    stored = { active: d.active, ...(d.passingSince ? { passingSince: d.passingSince } : {}) };
    return d.active;
  });
}

describe("decideFailOpen", () => {
  it("stays off at or above the minimum, and says so with the numbers", () => {
    expect(decideFailOpen(SETTINGS, counts(2), OFF, at(0))).toEqual({
      active: false,
      reason: REASON.enoughPassing,
      message: "2 of 3 endpoints pass (66%), at or above failOpen.minPassingPercent 50.",
    });
  });

  it("starts at once below the minimum, publishing every candidate", () => {
    // One of five still awaits a result; even passing, it leaves the share at 2 of 5 (40%).
    expect(decideFailOpen(SETTINGS, counts(1, 4, 5), OFF, at(0))).toEqual({
      active: true,
      reason: REASON.tooFewPassing,
      message:
        "1 of 4 endpoints pass (25%), below failOpen.minPassingPercent 50: publishing all 5.",
    });
  });

  it("does not start while endpoints awaiting a first result could still lift the share", () => {
    // Start-up: the first report is a failure, two pods have not been probed yet.
    expect(decideFailOpen(SETTINGS, counts(0, 1, 3), OFF, at(0))).toEqual({
      active: false,
      reason: REASON.awaitingProbeResults,
      message:
        "0 of 1 endpoints pass (0%), below failOpen.minPassingPercent 50, but 2 of 3 endpoints await their first probe results: fail-open stays off.",
    });
    // 1 of 3 probed pass and one more awaits: 2 of 4 would reach 50%.
    expect(decideFailOpen(SETTINGS, counts(1, 3, 4), OFF, at(0)).active).toBe(false);
    // Once they could not: on.
    expect(decideFailOpen(SETTINGS, counts(0, 2, 3), OFF, at(0)).active).toBe(true);
    // Already on: endpoints awaiting results do not end it.
    expect(decideFailOpen(SETTINGS, counts(0, 1, 3), ON, at(0)).active).toBe(true);
  });

  it("compares exactly: 1 of 2 is 50%, not below 50", () => {
    expect(decideFailOpen(SETTINGS, counts(1, 2), OFF, at(0)).active).toBe(false);
    expect(
      decideFailOpen({ ...SETTINGS, minPassingPercent: 51 }, counts(1, 2), OFF, at(0)).active,
    ).toBe(true);
    // 2 of 3 is 66.7%: below 67, shown as 66%
    const d = decideFailOpen({ ...SETTINGS, minPassingPercent: 67 }, counts(2), OFF, at(0));
    expect([d.active, d.message]).toEqual([
      true,
      "2 of 3 endpoints pass (66%), below failOpen.minPassingPercent 67: publishing all 3.",
    ]);
  });

  it("ends only after the share held for the hold time", () => {
    const back = decideFailOpen(SETTINGS, counts(3), ON, at(0));
    expect(back).toEqual({
      active: true,
      passingSince: "2026-01-01T00:00:00Z",
      reason: REASON.passingAgain,
      message:
        "3 of 3 endpoints pass (100%), at or above failOpen.minPassingPercent 50 since 2026-01-01T00:00:00Z: publishing all 3 until that has held for 30 s.",
    });
    const stored = { active: true, passingSince: back.passingSince! };
    expect(decideFailOpen(SETTINGS, counts(3), stored, at(29.9)).active).toBe(true);
    expect(decideFailOpen(SETTINGS, counts(2), stored, at(29.9)).passingSince).toBe(
      back.passingSince,
    );
    expect(decideFailOpen(SETTINGS, counts(3), stored, at(30))).toEqual({
      active: false,
      reason: REASON.enoughPassing,
      message:
        "3 of 3 endpoints pass (100%), at or above failOpen.minPassingPercent 50, held for 30 s: fail-open ended.",
    });
  });

  it("never flaps on inputs flapping around the threshold faster than the hold", () => {
    // passing 1 (33%) and 2 (66%) of 3 alternate every 10 s for two minutes
    const steps = Array.from({ length: 13 }, (_, i) => [i * 10, i % 2 === 0 ? 1 : 2] as const);
    const active = run(steps);
    expect(active).toEqual(steps.map(() => true));
  });

  it("ends once the flapping stops and the share holds, and starts again on the next dip", () => {
    const active = run([
      [0, 1], // below: on
      [5, 2], // back at 66%: hold starts
      [20, 1], // dip: hold resets
      [25, 2], // hold starts again at 25 s
      [50, 3], // 25 s held: still on
      [55, 3], // 30 s held: off
      [60, 2], // above: stays off
      [61, 1], // below: on again at once
    ]);
    expect(active).toEqual([true, true, true, true, true, false, false, true]);
  });

  it("keeps the previous decision while no candidate has a probe result", () => {
    for (const stored of [OFF, ON, { active: true, passingSince: "2026-01-01T00:00:00Z" }]) {
      const d = decideFailOpen(SETTINGS, counts(0, 0, 3), stored, at(100));
      expect([d.active, d.reason, d.passingSince]).toEqual([
        stored.active,
        REASON.awaitingProbeResults,
        undefined,
      ]);
    }
    expect(decideFailOpen(SETTINGS, counts(0, 0, 3), OFF, at(0)).message).toBe(
      "None of 3 endpoints has a probe result yet: fail-open stays off.",
    );
  });

  it("turns off without endpoints", () => {
    expect(decideFailOpen(SETTINGS, counts(0, 0, 0), ON, at(0))).toEqual({
      active: false,
      reason: REASON.noEndpoints,
      message: "No endpoints to publish.",
    });
  });

  it("restarts the hold when the stored time is unreadable", () => {
    const d = decideFailOpen(SETTINGS, counts(3), { active: true, passingSince: "soon" }, at(60));
    expect([d.active, d.passingSince]).toEqual([true, "2026-01-01T00:01:00Z"]);
  });
});
