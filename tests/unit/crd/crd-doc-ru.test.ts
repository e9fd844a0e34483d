// The Russian twin of the CRD (crds/doc-ru-servicewithhealthchecks.yaml), in the Deckhouse doc-ru
// format: the same tree as the CRD down to each field, holding only `description` keys. Deckhouse
// merges it into the Russian documentation, so a path that no longer exists in the CRD or a field
// without a translation is a documentation bug.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { openApiSchema, walkSchema } from "../../support/crd-schema.js";

const ruPath = fileURLToPath(
  new URL("../../../crds/doc-ru-servicewithhealthchecks.yaml", import.meta.url),
);
const ru = parse(readFileSync(ruPath, "utf8"));
const schema = openApiSchema();

/** A node of the CRD schema or of its Russian twin. */
interface DocNode {
  description?: string;
  properties?: Record<string, DocNode>;
  items?: DocNode;
  [key: string]: unknown;
}

/** Paths of every node that carries a description, in walkSchema's notation. */
function describedPaths(
  node: DocNode,
  path = "",
  out = new Map<string, string>(),
): Map<string, string> {
  if (typeof node.description === "string") out.set(path, node.description);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    describedPaths(child, `${path}.${key}`, out);
  }
  if (node.items) describedPaths(node.items, `${path}[]`, out);
  return out;
}

/** Keys other than description/properties/items anywhere in the tree. */
function foreignKeys(node: DocNode, path = ""): string[] {
  const found: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === "description") continue;
    if (key === "properties") {
      for (const [name, child] of Object.entries(value as object)) {
        found.push(...foreignKeys(child as DocNode, `${path}.${name}`));
      }
    } else if (key === "items") {
      found.push(...foreignKeys(value as DocNode, `${path}[]`));
    } else {
      found.push(`${path}:${key}`);
    }
  }
  return found;
}

describe("crds/doc-ru-servicewithhealthchecks.yaml", () => {
  it("wraps the schema as spec.versions[].schema.openAPIV3Schema for v1alpha1 only", () => {
    expect(Object.keys(ru)).toEqual(["spec"]);
    expect(Object.keys(ru.spec)).toEqual(["versions"]);
    expect(ru.spec.versions).toHaveLength(1);
    expect(Object.keys(ru.spec.versions[0]).sort()).toEqual(["name", "schema"]);
    expect(ru.spec.versions[0].name).toBe("v1alpha1");
    expect(Object.keys(ru.spec.versions[0].schema)).toEqual(["openAPIV3Schema"]);
  });

  const ruSchema = ru.spec.versions[0].schema.openAPIV3Schema;
  const ruDescribed = describedPaths(ruSchema);
  const enDescribed = describedPaths(schema);

  it("holds only descriptions", () => {
    expect(foreignKeys(ruSchema)).toEqual([]);
  });

  it("describes only fields that exist in the CRD", () => {
    const existing = new Set<string>();
    walkSchema(schema, (_node, path) => existing.add(path));
    expect([...ruDescribed.keys()].filter(p => !existing.has(p))).toEqual([]);
  });

  it("translates every English description", () => {
    expect([...enDescribed.keys()].filter(p => !ruDescribed.has(p))).toEqual([]);
  });

  it("is written in Russian and quotes every value and field name the English text quotes", () => {
    // Code spans that are words, not identifiers, and so are translated.
    const translated = new Set(["`mode:address:port`"]);
    for (const [path, text] of ruDescribed) {
      expect([path, /[а-яё]/i.test(text)]).toEqual([path, true]);
      const english = enDescribed.get(path) ?? "";
      const spans = english.match(/`[^`]+`/g) ?? [];
      const missing = spans.filter(span => !translated.has(span) && !text.includes(span));
      expect([path, missing]).toEqual([path, []]);
    }
  });

  it("keeps Cyrillic out of the English CRD (dmt no-cyrillic)", () => {
    const crdText = readFileSync(
      fileURLToPath(new URL("../../../crds/servicewithhealthchecks.yaml", import.meta.url)),
      "utf8",
    );
    expect(crdText).not.toMatch(/[а-яё]/i);
  });
});
