// Tests for the JSON readers every snapshot filter uses: int-or-string, string maps, the array
// and nested-object readers, and structural equality.

import { asArray, asIntOrString, asStringMap, jsonEqual, recordAt } from "./json-read.js";

describe("readers", () => {
  it.each([
    // numbers stay numbers
    [8080, 8080],
    // names stay names
    ["http", "http"],
    // empty string is no value
    ["", undefined],
    // anything else is no value
    [null, undefined],
  ])("asIntOrString(%j) = %j", (value, expected) => {
    expect(asIntOrString(value)).toBe(expected);
  });

  it("asStringMap keeps string values only", () => {
    expect(asStringMap({ a: "1", b: 2, c: null })).toEqual({ a: "1" });
    expect(asStringMap(["a"])).toEqual({});
  });

  it.each([
    // an array is returned as is
    [
      [1, "a"],
      [1, "a"],
    ],
    // anything else is an empty array
    [{ 0: 1 }, []],
    [null, []],
    ["a", []],
  ])("asArray(%j) = %j", (value, expected) => {
    expect(asArray(value)).toEqual(expected);
  });

  it.each([
    // the nested object
    [{ m: { a: 1 } }, { a: 1 }],
    // not an object at the key
    [{ m: [1] }, {}],
    [{ m: "x" }, {}],
    // no object at all
    [null, {}],
    [[{ a: 1 }], {}],
  ])("recordAt(%j, 'm') = %j", (value, expected) => {
    expect(recordAt(value, "m")).toEqual(expected);
  });
});

describe("jsonEqual", () => {
  it.each([
    // same primitives
    [1, 1, true],
    // different primitives
    ["a", "b", false],
    // key order does not matter
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, true],
    // undefined-valued key equals a missing key
    [{ a: 1, b: undefined }, { a: 1 }, true],
    // null is a value, not a missing key
    [{ a: null }, {}, false],
    // array order matters
    [[1, 2], [2, 1], false],
    // array vs object
    [[], {}, false],
    // nested structures
    [{ p: [{ port: 80 }] }, { p: [{ port: 80 }] }, true],
  ])("jsonEqual(%j, %j) = %s", (a, b, expected) => {
    expect(jsonEqual(a, b)).toBe(expected);
  });
});
