// Manifests against the CRD's structural schema (ajv, after the CRD's defaults, as the API server
// checks them): the seed's manifests apply verbatim, the valid fixtures pass, every invalid
// fixture fails for the reason it states. CEL rules need a real API server (the e2e suite); here
// we check that CEL fixtures would reach CEL evaluation and that their expected messages exist.
import { existsSync, readFileSync } from "node:fs";
import { celRules, createValidator, openApiSchema } from "../../support/crd-schema.js";
import { SWH_API_VERSION, SWH_KIND } from "../../../api/contract.js";
import {
  SEED_MANIFEST_FILE,
  extractSwhManifests,
  loadManifestFixtures,
} from "../../fixtures/manifests/fixtures.js";

const schema = openApiSchema();
const check = createValidator(schema);
const seeds = loadManifestFixtures("seed");
const valid = loadManifestFixtures("valid");
const invalid = loadManifestFixtures("invalid");

/**
 * ajv keywords whose API server counterparts (type, enum, required, size) are "blocking": the API
 * server then skips every CEL rule. An unknown field fails earlier still, at decoding.
 */
const BLOCKING = new Set([
  "type",
  "enum",
  "required",
  "maxLength",
  "maxItems",
  "maxProperties",
  "format",
  "additionalProperties",
]);

const row = <F extends { group: string; file: string }>(f: F): [string, F] => [
  `${f.group}/${f.file}`,
  f,
];

describe("seed manifests", () => {
  it("are the four ServiceWithHealthchecks of the platform's description", () => {
    expect(seeds.map(s => s.file)).toEqual([
      "postgres-read.yaml",
      "postgres-write.yaml",
      "smtp.yaml",
      "web.yaml",
    ]);
  });

  const seedExists = existsSync(SEED_MANIFEST_FILE);
  (seedExists ? it : it.skip)(`are verbatim copies of ${SEED_MANIFEST_FILE}`, () => {
    const fromSeed = extractSwhManifests(readFileSync(SEED_MANIFEST_FILE, "utf8"));
    const copies = new Map(seeds.map(s => [s.file.replace(/\.yaml$/, ""), s.text]));
    expect(copies).toEqual(fromSeed);
  });
});

describe.each([...seeds, ...valid].map(row))("%s", (_name, fixture) => {
  it("is a ServiceWithHealthchecks of this API version", () => {
    expect(fixture.object).toMatchObject({ apiVersion: SWH_API_VERSION, kind: SWH_KIND });
  });

  it("passes the structural schema", () => {
    expect(check(fixture.object).errors.map(e => e.text)).toEqual([]);
  });

  it("has a Service-compatible name, so the child Service can take it", () => {
    const name = (fixture.object.metadata as { name: string }).name;
    expect(name).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    expect(name.length).toBeLessThanOrEqual(63);
  });
});

describe("valid fixtures", () => {
  it("have distinct names, so a suite can apply them all into one namespace", () => {
    const names = [...seeds, ...valid].map(f => (f.object.metadata as { name: string }).name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("say what they are about", () => {
    for (const fixture of valid)
      expect([fixture.file, fixture.why.length > 10]).toEqual([fixture.file, true]);
  });
});

describe.each(invalid.map(row))("%s", (_name, fixture) => {
  const result = check(fixture.object);
  const texts = result.errors.map(e => e.text);

  it("states why it is invalid and what the API server must answer", () => {
    expect(fixture.why.length).toBeGreaterThan(10);
    expect(fixture.expectCel.length + fixture.expectServer.length).toBeGreaterThan(0);
    // A structural expectation comes with the API server's wording of it.
    expect(fixture.expect.length > 0).toBe(fixture.expectServer.length > 0);
  });

  if (fixture.expect.length > 0) {
    it.each(fixture.expect.map(e => [e]))("is rejected by the structural schema: %s", expected => {
      expect(result.valid).toBe(false);
      expect(texts.filter(t => t.includes(expected))).not.toEqual([]);
    });
  }

  if (fixture.expectCel.length > 0) {
    it("reaches the CEL rules: no blocking structural error", () => {
      expect(result.errors.filter(e => BLOCKING.has(e.keyword)).map(e => e.text)).toEqual([]);
    });

    it.each(fixture.expectCel.map(e => [e]))("expects a message the CRD has: %s", expected => {
      const messages = celRules(schema).map(r => r.message ?? "");
      expect(messages.filter(m => m.includes(expected))).not.toEqual([]);
    });
  }

  if (fixture.expect.length === 0) {
    it("is structurally valid: only a CEL rule rejects it", () => {
      expect(texts).toEqual([]);
    });
  }
});

describe("invalid fixtures as a whole", () => {
  it("cover every CEL message of the CRD", () => {
    const expected = invalid.flatMap(f => f.expectCel);
    const uncovered = celRules(schema)
      .map(r => r.message!)
      .filter(m => !expected.some(e => m.includes(e)));
    expect([...new Set(uncovered)]).toEqual([]);
  });

  it("have distinct names", () => {
    const names = invalid.map(f => (f.object.metadata as { name: string }).name);
    expect(new Set(names).size).toBe(names.length);
  });
});
