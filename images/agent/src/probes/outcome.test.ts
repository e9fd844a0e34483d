// Shared outcome helpers: reason wording and truncation.

import {
  errorCode,
  errorReason,
  failed,
  MAX_REASON_LENGTH,
  monotonicMs,
  passed,
  timeoutReason,
} from "./outcome.js";

describe("errorReason", () => {
  it.each<[unknown, string]>([
    // system and OpenSSL errors: the stable code
    [
      Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:80"), { code: "ECONNREFUSED" }),
      "connect ECONNREFUSED",
    ],
    // no code: the first line of the message
    [new Error("something odd\nwith details"), "connect: something odd"],
    // non-errors are stringified
    ["plain text", "connect: plain text"],
    // an empty code is no code
    [Object.assign(new Error("x"), { code: "" }), "connect: x"],
  ])("%p -> %s", (error, expected) => {
    expect(errorReason("connect", error)).toBe(expected);
  });
});

describe("errorCode", () => {
  it("reads only string codes", () => {
    expect(errorCode({ code: 5 })).toBeUndefined();
    expect(errorCode(null)).toBeUndefined();
    expect(errorCode({ code: "EPIPE" })).toBe("EPIPE");
  });
});

describe("outcomes", () => {
  it("measure the duration and keep reasons short", () => {
    const start = monotonicMs();
    expect(passed(start)).toEqual({ ok: true, reason: "", durationMs: expect.any(Number) });
    const long = failed(start, "x".repeat(500));
    expect(long.ok).toBe(false);
    expect(long.reason).toHaveLength(MAX_REASON_LENGTH);
    expect(long.durationMs).toBeGreaterThanOrEqual(0);
    expect(timeoutReason(1000)).toBe("timeout after 1000 ms");
  });
});
