// Tests for the cluster in a box's evaluation of `x-deckhouse-validations` (the ModuleConfig
// bridge and the operator stand-in refuse settings with it): which rules are evaluated and on
// what `self`, Deckhouse's JSON number semantics, and how failures are reported. The behaviours
// asserted here are the deckhouse-controller's (its values/schema/cel package), so settings the
// box accepts are settings Deckhouse accepts.
import {
  describeFailure,
  evaluateRule,
  evaluateValidations,
  placedRules,
  rulesOf,
  unreachableRules,
} from "../../cluster/module/deckhouse-validations.js";

const rule = (expression: string, message = `failed: ${expression}`) => ({ expression, message });

/** A settings schema with rules on the root, a nested object, an array and a map. */
const schema = {
  type: "object",
  "x-deckhouse-validations": [rule("!has(self.forbidden)", "forbidden is not allowed")],
  properties: {
    forbidden: { type: "string" },
    window: {
      type: "object",
      "x-deckhouse-validations": [rule("self.min <= self.max", "window.min must not exceed max")],
      properties: {
        min: { type: "integer" },
        max: { type: "integer" },
        inner: {
          type: "object",
          "x-deckhouse-validations": [rule("self.on == true", "window.inner.on must be true")],
          properties: { on: { type: "boolean" } },
        },
      },
    },
    hosts: {
      type: "array",
      items: { type: "string" },
      "x-deckhouse-validations": [rule("self.size() <= 2", "at most two hosts")],
    },
    labels: {
      type: "object",
      additionalProperties: { type: "string" },
      "x-deckhouse-validations": [rule("self.all(k, self[k] != '')", "labels must not be empty")],
    },
    level: {
      type: "string",
      "x-deckhouse-validations": [rule("self != 'Loud'", "level Loud is not a level")],
    },
  },
};

const messages = (value: unknown, old?: unknown): string[] =>
  evaluateValidations(schema, value, old).map(f => f.rule.message);

describe("which rules are evaluated", () => {
  it("passes settings that satisfy every rule", () => {
    expect(
      messages({
        window: { min: 1, max: 2, inner: { on: true } },
        hosts: ["a"],
        labels: { a: "b" },
        level: "Quiet",
      }),
    ).toEqual([]);
  });

  it("evaluates rules at every depth reached through properties, nested ones first", () => {
    const failures = evaluateValidations(schema, {
      forbidden: "x",
      window: { min: 3, max: 2, inner: { on: false } },
    });
    expect(failures.map(f => [f.path.join("."), f.rule.message])).toEqual([
      ["window.inner", "window.inner.on must be true"],
      ["window", "window.min must not exceed max"],
      ["", "forbidden is not allowed"],
    ]);
    expect(failures.every(f => f.kind === "violated")).toBe(true);
  });

  it("gives a list as self to a rule on an array, and a map to a rule on a map", () => {
    expect(messages({ hosts: ["a", "b", "c"] })).toEqual(["at most two hosts"]);
    expect(messages({ labels: { a: "" } })).toEqual(["labels must not be empty"]);
  });

  it("gives the scalar as self to a rule on a scalar", () => {
    expect(messages({ level: "Loud" })).toEqual(["level Loud is not a level"]);
  });

  it("skips the rules of properties the value does not have (no defaults are invented)", () => {
    expect(messages({})).toEqual([]);
  });

  it("passes a rule whose evaluation misses a key, as Deckhouse does", () => {
    // window.min is absent: `self.min` is "no such key", so the rule does not refuse.
    expect(messages({ window: { max: 1 } })).toEqual([]);
  });

  it("lists the rules Deckhouse can reach, and the ones it never evaluates", () => {
    const hidden = {
      type: "object",
      properties: {
        list: {
          type: "array",
          items: { type: "object", "x-deckhouse-validations": [rule("self.a > 0")] },
        },
        map: {
          type: "object",
          additionalProperties: { "x-deckhouse-validations": [rule("self != ''")] },
        },
        ok: { type: "object", "x-deckhouse-validations": [rule("true")] },
      },
    };
    expect(placedRules(hidden).map(p => p.path.join("."))).toEqual(["ok"]);
    expect(unreachableRules(hidden)).toEqual([
      "/properties/list/items",
      "/properties/map/additionalProperties",
    ]);
    // ...and indeed never evaluates them.
    expect(evaluateValidations(hidden, { list: [{ a: 0 }], map: { k: "" } })).toEqual([]);
    expect(unreachableRules(schema)).toEqual([]);
  });
});

describe("CEL as Deckhouse evaluates it", () => {
  it("sees every number as a double: int arithmetic on a setting fails, double() works", () => {
    const settings = { n: 5 };
    const intMath = evaluateRule(rule("self.n * 2 <= 10"), settings);
    expect(intMath).toEqual({ kind: "error", detail: expect.stringMatching(/no such overload/) });
    expect(evaluateRule(rule("double(self.n) * 2.0 <= 10.0"), settings)).toEqual({ kind: "pass" });
    // Comparisons across int and double are fine in CEL.
    expect(evaluateRule(rule("self.n <= 10"), settings)).toEqual({ kind: "pass" });
  });

  it("refuses a value when a rule does not compile, fails, or is not a bool", () => {
    expect(evaluateRule(rule("self.n +"), { n: 1 })).toEqual({
      kind: "error",
      detail: expect.stringMatching(/^does not compile/),
    });
    expect(evaluateRule(rule("1 + 'a' == 2"), {})).toEqual({
      kind: "error",
      detail: expect.stringMatching(/^does not compile: no such overload/),
    });
    expect(evaluateRule(rule("self.n"), { n: 1 })).toEqual({
      kind: "error",
      detail: "the rule does not return a bool",
    });
  });

  it("evaluates a transition rule (oldSelf) only when there is a previous value", () => {
    const immutable = {
      type: "object",
      properties: {
        mode: { type: "string", "x-deckhouse-validations": [rule("self == oldSelf", "immutable")] },
      },
    };
    expect(evaluateValidations(immutable, { mode: "A" })).toEqual([]);
    expect(evaluateValidations(immutable, { mode: "A" }, { mode: "A" })).toEqual([]);
    expect(evaluateValidations(immutable, { mode: "B" }, { mode: "A" })).toMatchObject([
      { path: ["mode"], kind: "violated", rule: { message: "immutable" } },
    ]);
    // A property that did not exist before is a create at its level: skipped.
    expect(evaluateValidations(immutable, { mode: "B" }, {})).toEqual([]);
  });

  it("evaluates JSON data: undefined fields are absent", () => {
    expect(messages({ window: { min: 1, max: 2, inner: { on: true }, extra: undefined } })).toEqual(
      [],
    );
    expect(messages({ forbidden: undefined })).toEqual([]);
  });
});

describe("malformed rule lists", () => {
  it.each([
    [{ "x-deckhouse-validations": { expression: "true" } }, /must be a list/],
    [{ "x-deckhouse-validations": [{ message: "m" }] }, /\[0\] has no expression/],
    [{ "x-deckhouse-validations": [{ expression: "true", message: "" }] }, /\[0\] has no message/],
  ])("refuses %j", (node, error) => {
    expect(() => rulesOf(node, "here")).toThrow(error);
    expect(() => evaluateValidations(node, {})).toThrow(error);
  });
});

describe("describeFailure", () => {
  it("names the place and gives the rule's message", () => {
    const [failure] = evaluateValidations(schema, { window: { min: 2, max: 1 } });
    if (!failure) throw new Error("expected a failure");
    expect(describeFailure(failure)).toBe("settings.window: window.min must not exceed max");
  });

  it("says why a rule could not be evaluated", () => {
    const [failure] = evaluateValidations(
      { type: "object", "x-deckhouse-validations": [rule("self.n * 2 > 0", "m")] },
      { n: 1 },
    );
    if (!failure) throw new Error("expected a failure");
    expect(describeFailure(failure, "values")).toMatch(
      /^values: the rule "self\.n \* 2 > 0" cannot be evaluated \(no such overload.*\), so Deckhouse refuses the value too$/,
    );
  });
});
