// CONFIGURATION.md and CONFIGURATION_RU.md are written by hand (Deckhouse would render them from
// openapi/config-values.yaml): this keeps them equal to the schema. Every setting of the schema
// has a row `| \`path\` | \`type\` | default | description |` in both pages, with the schema's
// type and default, its allowed values and range; no row names a setting the schema lacks; and
// every ModuleConfig example is a valid ModuleConfig of this module whose settings the schema
// accepts.
import { Ajv } from "ajv";
import { parseAllDocuments } from "yaml";
import { MODULE_NAME } from "../../../api/contract.js";
import { codeBlocks, readDoc, rowFor, tableRows } from "./markdown.js";
import { defaultCell, leafSettings, loadSettingsSchema } from "./settings.js";

const schema = loadSettingsSchema();

/** Deckhouse validates settings with `additionalProperties: false` unless the schema says. */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("x-")) continue;
    out[key] =
      key === "properties"
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, closeObjects(v)]),
          )
        : closeObjects(value);
  }
  if (out.type === "object" && out.properties && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

const settings = leafSettings(schema);
const validateSettings = new Ajv({
  strict: false,
  allErrors: true,
  formats: { int32: true, int64: true },
}).compile(closeObjects(schema) as Record<string, unknown>);

describe("openapi/config-values.yaml", () => {
  it("has settings to document", () => {
    expect(settings.length).toBeGreaterThanOrEqual(5);
  });
});

describe.each(["CONFIGURATION.md", "CONFIGURATION_RU.md"])("%s", page => {
  const text = readDoc(page);
  const rows = tableRows(text);

  it.each(settings.map(s => [s.path, s]))("documents %s with its type and default", (_p, s) => {
    const row = rowFor(rows, s.path);
    expect([s.path, row?.length]).toEqual([s.path, 4]);
    expect(row?.[1]).toBe(`\`${s.schema.type ?? ""}\``);
    expect(row?.[2]).toBe(defaultCell(s.schema.default));
  });

  it.each(settings.map(s => [s.path, s]))("names the allowed values of %s", (_p, s) => {
    const description = rowFor(rows, s.path)?.[3] ?? "";
    for (const value of s.schema.enum ?? []) expect(description).toContain(`\`${String(value)}\``);
    for (const bound of [s.schema.minimum, s.schema.maximum]) {
      if (bound !== undefined) expect(description).toContain(String(bound));
    }
  });

  it("documents no setting the schema lacks", () => {
    const known = new Set(settings.map(s => s.path));
    const documented = rows
      .filter(cells => cells.length === 4 && /^`[^`]+`$/.test(cells[0] ?? ""))
      .map(cells => (cells[0] ?? "").slice(1, -1));
    expect(documented.length).toBeGreaterThan(0);
    expect(documented.filter(path => !known.has(path))).toEqual([]);
  });

  const moduleConfigs = codeBlocks(text)
    .filter(block => block.lang === "yaml")
    .flatMap(block => parseAllDocuments(block.content).map(doc => doc.toJS() as unknown))
    .filter(
      (doc): doc is Record<string, any> =>
        typeof doc === "object" &&
        doc !== null &&
        (doc as { kind?: unknown }).kind === "ModuleConfig",
    );

  it("has a ModuleConfig example with settings", () => {
    expect(moduleConfigs.some(mc => mc.spec?.settings !== undefined)).toBe(true);
  });

  it.each(moduleConfigs.map((mc, i) => [i, mc]))(
    "ModuleConfig example %i is this module's and its settings are valid",
    (_i, mc) => {
      expect(mc).toMatchObject({
        apiVersion: "deckhouse.io/v1alpha1",
        kind: "ModuleConfig",
        metadata: { name: MODULE_NAME },
        spec: { enabled: true, version: expect.any(Number) },
      });
      const valid = validateSettings(structuredClone(mc.spec.settings ?? {}));
      expect([valid, validateSettings.errors ?? null]).toEqual([true, null]);
    },
  );
});

describe("the settings checker", () => {
  it("rejects what Deckhouse rejects: unknown settings and wrong types", () => {
    expect(validateSettings({ agent: { maxConcurrentProbe: 10 } })).toBe(false);
    expect(validateSettings({ debug: "yes" })).toBe(false);
    expect(validateSettings({ heartbeat: { leaseDurationSeconds: 40 } })).toBe(true);
  });

  it("writes defaults as the pages do", () => {
    expect([
      defaultCell("Info"),
      defaultCell(false),
      defaultCell(40),
      defaultCell(undefined),
    ]).toEqual(["`Info`", "`false`", "`40`", "—"]);
  });
});
