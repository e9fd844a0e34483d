// Tests for the semantic comparison and the status merge patch: list order where it means
// nothing, the spellings of "nothing", and fields this hook does not own.

import { sameField, sameJson, statusMergePatch } from "./diff.js";

describe("statusMergePatch and semantic equality", () => {
  it.each([
    // same conditions in another order
    ["conditions", [{ type: "A" }, { type: "B" }], [{ type: "B" }, { type: "A" }], true],
    // empty array vs absent
    ["endpointStatuses", [], undefined, true],
    // clusterIPs order is meaningful (primary family first)
    ["clusterIPs", ["a", "b"], ["b", "a"], false],
    // false is a value, not emptiness
    ["endpointStatuses", [{ podName: "p", ready: false }], [{ podName: "p" }], false],
  ])("%s: %j vs %j equal: %s", (field, a, b, equal) => {
    expect(sameField(field, a, b)).toBe(equal);
    expect(sameField(field, b, a)).toBe(equal);
  });

  it.each([
    // key order does not matter
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, true],
    // null, missing, empty array and empty object all mean nothing
    [{ a: null, b: [], c: {} }, {}, true],
    // nested emptiness too
    [{ lb: { ingress: [] } }, { lb: null }, true],
    // 0 and "" are values
    [{ a: 0 }, {}, false],
    [{ a: "" }, {}, false],
    // number vs string
    [{ a: 1 }, { a: "1" }, false],
    // array vs object
    [[1], { 0: 1 }, false],
    // array order matters for plain arrays
    [[1, 2], [2, 1], false],
  ])("sameJson(%j, %j) is %s", (a, b, equal) => {
    expect(sameJson(a, b)).toBe(equal);
    expect(sameJson(b, a)).toBe(equal);
  });

  it("deletes owned fields the desired status lacks and ignores fields it does not own", () => {
    const patch = statusMergePatch(
      { observedGeneration: 1, readySummary: "0/0" },
      { observedGeneration: 1, readySummary: "0/0", clusterIP: "10.0.0.1", somethingElse: 1 },
    );
    expect(patch).toEqual({ clusterIP: null });
  });
});
