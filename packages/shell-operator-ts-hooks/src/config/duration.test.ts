// Go duration strings (what time.ParseDuration accepts, in nanoseconds) and crontabs (what
// robfig/cron accepts), the two string grammars the config checks beyond JSON schema types.

import { crontabError } from "./crontab.js";
import { isGoDuration, parseGoDuration } from "./duration.js";

describe("parseGoDuration", () => {
  it.each([
    ["0", 0],
    ["300ms", 300e6],
    ["1.5h", 5400e9],
    ["1m30s", 90e9],
    ["-2s", -2e9],
    ["1h2m3s4ms5us6ns", 3723004005006],
    ["10µs", 10e3],
  ])("%s = %d ns", (text, nanos) => expect(parseGoDuration(text)).toBe(nanos));

  it.each(["", "5", "1d", "s", "1m 30s", "--1s"])("rejects %j", text => {
    expect(isGoDuration(text)).toBe(false);
  });
});

describe("crontabError", () => {
  it.each([
    "* * * * *",
    "*/5 0-6,18-23 1 JAN-MAR mon-fri",
    "0 0 * * 7",
    "*/15 * * * * *",
    "? * * * *",
    "@daily",
    "@every 1h30m",
  ])("accepts %j", crontab => expect(crontabError(crontab)).toBeUndefined());

  it.each([
    ["* * * *", /4 fields/],
    ["60 * * * *", /out of range/],
    ["* 24 * * *", /out of range/],
    ["* * 0 * *", /out of range/],
    ["5-1 * * * *", /empty range/],
    ["*/0 * * * *", /bad step/],
    ["* * * FOO *", /out of range/],
    ["@sometimes", /unknown crontab descriptor/],
    ["@every soon", /unknown crontab descriptor/],
  ])("rejects %j", (crontab, message) => expect(crontabError(crontab)).toMatch(message));
});
