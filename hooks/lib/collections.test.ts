// Tests for the collection helpers: the locale-free string order and order-keeping grouping.

import { compareText, groupBy } from "./collections.js";

describe("compareText", () => {
  it.each([
    ["a", "b", -1],
    ["b", "a", 1],
    ["a", "a", 0],
    // code-unit order, not locale order: upper case sorts before lower case
    ["Z", "a", -1],
    // a prefix sorts first
    ["node", "node-a", -1],
  ])("compareText(%j, %j) = %d", (a, b, expected) => {
    expect(compareText(a, b)).toBe(expected);
  });
});

describe("groupBy", () => {
  it("keeps the first-seen order of groups and the input order within each", () => {
    const groups = groupBy(["b1", "a1", "b2", "c1", "a2"], s => s[0]!);
    expect([...groups]).toEqual([
      ["b", ["b1", "b2"]],
      ["a", ["a1", "a2"]],
      ["c", ["c1"]],
    ]);
  });

  it("returns an empty map for no items", () => {
    expect(groupBy([], String).size).toBe(0);
  });
});
