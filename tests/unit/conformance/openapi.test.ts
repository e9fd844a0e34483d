// Stand-in for dmt's `openapi` linter (deckhouse/dmt cannot be built here): enum, keys of
// x-deckhouse-validations, high-availability, deckhouse-crds, bilingual and doc-ru-yaml, named after
// dmt's rules, on the staged module's openapi/ and crds/ files.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { MODULE_NAME } from "../../../api/contract.js";
import { loadModuleUnderTest, type ModuleUnderTest } from "./module-under-test.js";

let m: ModuleUnderTest;

beforeAll(async () => {
  m = await loadModuleUnderTest();
}, 600_000);

afterAll(async () => {
  await m?.cleanup();
});

const schemaFiles = (dir: string): string[] =>
  readdirSync(join(m.dir, dir))
    .filter(f => /\.ya?ml$/.test(f) && !f.startsWith("doc-ru-"))
    .map(f => `${dir}/${f}`);
const docs = (file: string): unknown[] =>
  parseAllDocuments(readFileSync(join(m.dir, file), "utf8"))
    .map(d => d.toJS() as unknown)
    .filter(d => d !== null);

/** Calls `visit(path, key, value)` for every key of every mapping under `node`. */
function walk(
  node: unknown,
  visit: (path: string, key: string, value: unknown) => void,
  at = "",
): void {
  if (Array.isArray(node)) node.forEach((item, i) => walk(item, visit, `${at}[${i}]`));
  else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      visit(at, key, value);
      walk(value, visit, at ? `${at}.${key}` : key);
    }
  }
}

/** dmt's enum rule: a value starting with a letter starts upper case; then letters, digits only. */
function enumValueProblem(value: string): string | undefined {
  if (value === "") return undefined;
  const first = value[0] ?? "";
  if (/\p{L}/u.test(first) && first !== first.toUpperCase()) return "must start with a capital";
  const chars = [...value];
  const bad = chars.findIndex(
    (c, i) =>
      !/[\p{L}\p{N}]/u.test(c) && !(c === "." && i > 0 && /\p{N}/u.test(chars[i - 1] ?? "")),
  );
  return bad >= 0 ? "must be CamelCase" : undefined;
}

describe("openapi linter", () => {
  it("enum: every string enum value is CamelCase", () => {
    const files = [...schemaFiles("openapi"), ...schemaFiles("crds")];
    for (const file of files) {
      for (const doc of docs(file)) {
        walk(doc, (path, key, value) => {
          if (key !== "enum" || !Array.isArray(value)) return;
          for (const v of value.filter((x): x is string => typeof x === "string")) {
            expect([file, path, v, enumValueProblem(v)]).toEqual([file, path, v, undefined]);
          }
        });
      }
    }
  });

  it("high-availability: a highAvailability setting has no default", () => {
    for (const file of schemaFiles("openapi")) {
      walk(docs(file)[0], (path, key, value) => {
        if (key === "highAvailability") {
          expect([file, path, (value as { default?: unknown }).default]).toEqual([
            file,
            path,
            undefined,
          ]);
        }
      });
    }
  });

  it("deckhouse-validations: x-deckhouse-validations are lists of {expression, message}", () => {
    let seen = 0;
    for (const file of schemaFiles("openapi")) {
      walk(docs(file)[0], (path, key, value) => {
        if (key === "x-kubernetes-validations") {
          throw new Error(`${file} ${path}: openapi/ schemas take x-deckhouse-validations`);
        }
        if (key !== "x-deckhouse-validations") return;
        expect(Array.isArray(value)).toBe(true);
        for (const rule of value as { expression?: unknown; message?: unknown }[]) {
          seen++;
          expect(Object.keys(rule).sort()).toEqual(["expression", "message"]);
          expect(typeof rule.expression).toBe("string");
          expect(String(rule.message).length).toBeGreaterThan(10);
        }
      });
    }
    expect(seen).toBeGreaterThan(0);
  });

  it("deckhouse-crds: CRDs are apiextensions.k8s.io/v1 and carry the module label", () => {
    const crds = schemaFiles("crds").flatMap(docs) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string; labels?: Record<string, string> };
    }[];
    expect(crds.length).toBeGreaterThan(0);
    for (const crd of crds) {
      expect(crd.kind).toBe("CustomResourceDefinition");
      expect(crd.apiVersion).toBe("apiextensions.k8s.io/v1");
      if (crd.metadata.name.includes("deckhouse.io")) {
        expect(crd.metadata.labels).toMatchObject({ module: MODULE_NAME, heritage: "deckhouse" });
      }
    }
  });

  it("bilingual: every crds/ and openapi/ schema except values.yaml has a doc-ru- twin", () => {
    const files = [...schemaFiles("openapi"), ...schemaFiles("crds")].filter(
      f => f !== "openapi/values.yaml",
    );
    for (const file of files) {
      const [dir, name] = file.split("/");
      const twin = readdirSync(join(m.dir, dir ?? "")).includes(`doc-ru-${name}`);
      expect([file, twin]).toEqual([file, true]);
    }
  });

  it("doc-ru-yaml: every doc-ru- file is a YAML mapping", () => {
    for (const dir of ["openapi", "crds"]) {
      for (const file of readdirSync(join(m.dir, dir)).filter(f => f.startsWith("doc-ru-"))) {
        const value = parse(readFileSync(join(m.dir, dir, file), "utf8")) as unknown;
        expect([file, typeof value, Array.isArray(value)]).toEqual([file, "object", false]);
      }
    }
  });
});
