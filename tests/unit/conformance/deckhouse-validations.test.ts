// The module's own `x-deckhouse-validations` rules (openapi/*.yaml), evaluated as Deckhouse
// evaluates them (tests/cluster/module/deckhouse-validations.ts: a real CEL engine, numbers as
// doubles): every rule sits where Deckhouse evaluates it, every `x-examples` entry passes every
// rule — as written and with the schema's defaults filled in, since Deckhouse evaluates the
// rules on the ModuleConfig settings and again on the module values — and hand-made settings
// that break a rule are refused with that rule's message. A rule without a violating case here
// fails the suite, so each rule is itself tested.
import { readdirSync, readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { parse } from "yaml";
import {
  evaluateValidations,
  placedRules,
  unreachableRules,
} from "../../cluster/module/deckhouse-validations.js";
import { closeObjects } from "../../cluster/module/settings.js";

type Schema = Record<string, unknown>;

const openapiDir = new URL("../../../openapi/", import.meta.url);
const schemaFiles = readdirSync(openapiDir).filter(
  f => /\.ya?ml$/.test(f) && !f.startsWith("doc-ru-"),
);
const read = (file: string): Schema =>
  parse(readFileSync(new URL(file, openapiDir), "utf8")) as Schema;

/** Settings that break each rule, keyed by `<file> <property path>`; each case must be refused. */
const VIOLATIONS: Record<string, readonly Schema[]> = {
  "config-values.yaml heartbeat": [
    { heartbeat: { leaseDurationSeconds: 8, renewIntervalSeconds: 5 } },
    // the default renewal (10 s) against a Lease that is too short for it
    { heartbeat: { leaseDurationSeconds: 15 } },
    // a renewal longer than half the default Lease (40 s)
    { heartbeat: { renewIntervalSeconds: 21 } },
    // at the schema's minimum Lease, a renewal just over half of it
    { heartbeat: { leaseDurationSeconds: 5, renewIntervalSeconds: 3 }, logLevel: "Info" },
  ],
};

/** Settings at the edge of each rule that must pass (the rule is not stricter than it says). */
const EDGES: Record<string, readonly Schema[]> = {
  "config-values.yaml heartbeat": [
    { heartbeat: { leaseDurationSeconds: 10, renewIntervalSeconds: 5 } },
    { heartbeat: { leaseDurationSeconds: 20 } },
    { heartbeat: { renewIntervalSeconds: 20 } },
    { heartbeat: {} },
    { heartbeat: { leaseDurationSeconds: 3600, renewIntervalSeconds: 1200 } },
  ],
};

/** `value` with the schema's defaults filled in, as the module values have them. */
function withDefaults(schema: Schema, value: unknown): unknown {
  const ajv = new Ajv({ strict: false, useDefaults: true, formats: { int64: true } });
  const copy = structuredClone(value);
  ajv.compile(closeObjects(schema) as Schema)(copy);
  return copy;
}

const rulesByFile = schemaFiles.map(file => {
  const schema = read(file);
  return { file, schema, placed: placedRules(schema) };
});
const ruleKeys = rulesByFile.flatMap(({ file, placed }) =>
  placed.map(p => `${file} ${p.path.join(".")}`),
);

describe("x-deckhouse-validations of openapi/", () => {
  it("has rules to test", () => {
    expect(ruleKeys).toContain("config-values.yaml heartbeat");
  });

  it.each(schemaFiles)("%s: every rule sits where Deckhouse evaluates it (properties)", file => {
    expect(unreachableRules(read(file))).toEqual([]);
  });

  it("every rule has violating settings in this test", () => {
    for (const key of ruleKeys)
      expect([key, (VIOLATIONS[key] ?? []).length > 0]).toEqual([key, true]);
    for (const key of Object.keys(VIOLATIONS)) expect(ruleKeys).toContain(key);
  });

  const examples = rulesByFile.flatMap(({ file, schema }) =>
    ((schema["x-examples"] as unknown[] | undefined) ?? []).map(
      (example, i): [string, number, Schema, unknown] => [file, i, schema, example],
    ),
  );

  it.each(examples)(
    "%s x-examples[%i] passes every rule, as written and with defaults",
    (_file, _i, schema, example) => {
      expect(evaluateValidations(schema, example)).toEqual([]);
      expect(evaluateValidations(schema, withDefaults(schema, example))).toEqual([]);
    },
  );

  const cases = (table: Record<string, readonly Schema[]>): [string, Schema][] =>
    Object.entries(table).flatMap(([key, list]) => list.map((s): [string, Schema] => [key, s]));

  it.each(cases(VIOLATIONS))("%s refuses %j with the rule's message", (key, settings) => {
    const [file, path] = key.split(" ") as [string, string];
    const entry = rulesByFile.find(r => r.file === file);
    if (!entry) throw new Error(`no schema ${file}`);
    const placed = entry.placed.find(p => p.path.join(".") === path);
    const messages = placed?.rules.map(r => r.message) ?? [];
    for (const value of [settings, withDefaults(entry.schema, settings)]) {
      const failures = evaluateValidations(entry.schema, value);
      expect(failures.map(f => [f.kind, f.path.join(".")])).toEqual([["violated", path]]);
      expect(messages).toContain(failures[0]?.rule.message);
    }
  });

  it.each(cases(EDGES))("%s accepts the edge case %j", (key, settings) => {
    const file = key.split(" ")[0] ?? "";
    const schema = rulesByFile.find(r => r.file === file)?.schema ?? {};
    expect(evaluateValidations(schema, settings)).toEqual([]);
    expect(evaluateValidations(schema, withDefaults(schema, settings))).toEqual([]);
  });
});
