// The one hold rule both hooks use: 30 s or two probe periods, and when a hold is over.
import { failOpenHoldMs, holdElapsed } from "./fail-open-hold.js";

const SINCE = "2026-01-01T00:00:00Z";
const after = (seconds: number): number => Date.parse(SINCE) + seconds * 1000;

describe("failOpenHoldMs", () => {
  it("is 30 s, or two periods when longer; the default period when unset", () => {
    expect([failOpenHoldMs(1), failOpenHoldMs(10), failOpenHoldMs(15), failOpenHoldMs(60)]).toEqual(
      [30_000, 30_000, 30_000, 120_000],
    );
    expect(failOpenHoldMs(undefined)).toBe(30_000);
  });
});

describe("holdElapsed", () => {
  it("is over once the hold has passed since passingSince, not before", () => {
    expect([holdElapsed(SINCE, 1, after(29)), holdElapsed(SINCE, 1, after(30))]).toEqual([
      false,
      true,
    ]);
    expect([holdElapsed(SINCE, 60, after(119)), holdElapsed(SINCE, 60, after(120))]).toEqual([
      false,
      true,
    ]);
  });

  it("counts an unreadable time as over (the status hook restarts the hold)", () => {
    expect(holdElapsed("soon", 1, after(0))).toBe(true);
  });
});
