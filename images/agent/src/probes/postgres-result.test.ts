// How a PostgreSQL probe judges its query result.

import { isTrueValue, judgeRows } from "./postgres-result.js";

describe("isTrueValue", () => {
  it.each<[unknown, boolean]>([
    [true, true],
    [false, false],
    // text, case-insensitive, trimmed: PostgreSQL's boolean words plus "1"
    ["t", true],
    ["TRUE", true],
    [" yes ", true],
    ["Y", true],
    ["on", true],
    ["1", true],
    ["f", false],
    ["no", false],
    ["off", false],
    ["0", false],
    ["", false],
    ["truthy", false],
    // integers and bigints: 1 only
    [1, true],
    [2, false],
    [0, false],
    [1n, true],
    [0n, false],
    [null, false],
    [undefined, false],
    [{}, false],
  ])("%p -> %s", (value, expected) => {
    expect(isTrueValue(value)).toBe(expected);
  });
});

describe("judgeRows", () => {
  it.each<[unknown[][], string]>([
    [[[true]], ""],
    [[["t", "ignored"]], ""],
    // only the first row counts
    [[[false], [true]], "query returned false"],
    [[], "query returned no rows"],
    [[[]], "query returned no columns"],
    [[[null]], "query returned NULL"],
  ])("%j -> %j", (rows, expected) => {
    expect(judgeRows(rows)).toBe(expected);
  });
});
