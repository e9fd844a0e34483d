// tests/support/crd-schema.ts on its own: loading, walking, listing CEL rules, converting a structural
// schema to JSON Schema, list-map keys, and the fixture loader's manifest extraction.
import {
  celRules,
  createValidator,
  duplicateListMapKeys,
  loadCrd,
  openApiSchema,
  toJsonSchema,
  walkSchema,
  type StructuralSchema,
} from "../../support/crd-schema.js";
import { extractManifests, extractSwhManifests } from "../../fixtures/manifests/fixtures.js";

describe("loading", () => {
  it("returns the v1alpha1 openAPIV3Schema", () => {
    const schema = openApiSchema();
    expect(schema.type).toBe("object");
    expect(schema.properties).toHaveProperty("spec.properties.healthcheck");
  });

  it("names the version it cannot find", () => {
    expect(() => openApiSchema(loadCrd(), "v2")).toThrow(/has no version v2/);
  });

  it("says which file it cannot read", () => {
    expect(() => loadCrd("/nonexistent/crd.yaml")).toThrow(/cannot read the CRD at \/nonexistent/);
  });
});

describe("walkSchema and celRules", () => {
  const schema: StructuralSchema = {
    type: "object",
    properties: {
      list: {
        type: "array",
        items: {
          type: "object",
          properties: {
            port: {
              type: "integer",
              "x-kubernetes-validations": [{ rule: "self > 0", message: "port" }],
            },
          },
        },
      },
      map: { type: "object", additionalProperties: { type: "string" } },
    },
    "x-kubernetes-validations": [{ rule: "true", message: "root" }],
  };

  it("visits properties, list items and map values with their paths", () => {
    const paths: string[] = [];
    walkSchema(schema, (_n, p) => paths.push(p));
    expect(paths).toEqual(["", ".list", ".list[]", ".list[].port", ".map", ".map{}"]);
  });

  it("lists each rule with the path of its node", () => {
    expect(celRules(schema)).toEqual([
      { path: "", rule: "true", message: "root" },
      { path: ".list[].port", rule: "self > 0", message: "port" },
    ]);
  });
});

describe("toJsonSchema", () => {
  it("turns int-or-string without anyOf into integer|string, and keeps anyOf when given", () => {
    expect(toJsonSchema({ "x-kubernetes-int-or-string": true })).toEqual({
      type: ["integer", "string"],
    });
    expect(
      toJsonSchema({
        "x-kubernetes-int-or-string": true,
        anyOf: [{ type: "integer" }, { type: "string" }],
      }),
    ).toEqual({ anyOf: [{ type: "integer" }, { type: "string" }] });
  });

  it("admits null for nullable fields and makes sets unique", () => {
    expect(toJsonSchema({ type: "string", nullable: true })).toMatchObject({
      type: ["string", "null"],
    });
    expect(
      toJsonSchema({ type: "array", items: { type: "string" }, "x-kubernetes-list-type": "set" }),
    ).toEqual({ type: "array", items: { type: "string" }, uniqueItems: true });
  });

  it("closes declared objects, except preserve-unknown-fields and the root's metadata", () => {
    const out = toJsonSchema({
      type: "object",
      properties: {
        metadata: { type: "object", properties: { name: { type: "string" } } },
        spec: { type: "object", properties: { a: { type: "string" } } },
        free: {
          type: "object",
          properties: { a: { type: "string" } },
          "x-kubernetes-preserve-unknown-fields": true,
        },
      },
    }) as { additionalProperties?: unknown; properties: Record<string, Record<string, unknown>> };
    expect(out.additionalProperties).toBe(false);
    expect(out.properties.metadata!.additionalProperties).toBeUndefined();
    expect(out.properties.spec!.additionalProperties).toBe(false);
    expect(out.properties.free!.additionalProperties).toBeUndefined();
  });

  it("drops CEL rules and Kubernetes-only keywords, keeping list-map keys", () => {
    const out = toJsonSchema({
      type: "array",
      items: { type: "object", properties: { k: { type: "string" } } },
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["k"],
      "x-kubernetes-validations": [{ rule: "true" }],
    });
    expect(Object.keys(out).sort()).toEqual(["items", "type", "x-kubernetes-list-map-keys"]);
  });

  it("does not modify the schema it converts", () => {
    const schema = openApiSchema();
    const before = structuredClone(schema);
    toJsonSchema(schema);
    expect(schema).toEqual(before);
  });
});

describe("list-map keys", () => {
  it("finds repeated key tuples only", () => {
    const items = [
      { port: 53, protocol: "UDP" },
      { port: 53, protocol: "TCP" },
      { port: 53, protocol: "UDP", name: "again" },
    ];
    expect(duplicateListMapKeys(["port", "protocol"], items)).toEqual(['[53,"UDP"]']);
    expect(duplicateListMapKeys(["port"], items)).toEqual(["[53]", "[53]"]);
  });

  it("are checked after defaulting, like the API server (protocol defaults to TCP)", () => {
    const check = createValidator();
    const swh = {
      apiVersion: "network.deckhouse.io/v1alpha1",
      kind: "ServiceWithHealthchecks",
      metadata: { name: "x" },
      spec: {
        selector: { a: "b" },
        ports: [
          { port: 80, name: "a" },
          { port: 80, protocol: "TCP", name: "b" },
        ],
      },
    };
    expect(check(swh).errors.map(e => e.text)).toEqual([
      '/spec/ports must not repeat the list-map key port+protocol = [80,"TCP"]',
    ]);
  });
});

describe("manifest extraction from prose", () => {
  const page = [
    "Some prose.",
    "",
    "apiVersion: v1",
    "kind: Service",
    "metadata:",
    "  name: a",
    "",
    "More prose: with a colon.",
    "apiVersion: network.deckhouse.io/v1alpha1",
    "kind: ServiceWithHealthchecks",
    "metadata:",
    "  name: b",
    "spec:",
    "  ports:",
    "  - port: 1",
    "",
    "",
    "The end.",
  ].join("\n");

  it("cuts each manifest where the prose resumes, without trailing blank lines", () => {
    expect(extractManifests(page)).toEqual([
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n",
      "apiVersion: network.deckhouse.io/v1alpha1\nkind: ServiceWithHealthchecks\nmetadata:\n  name: b\nspec:\n  ports:\n  - port: 1\n",
    ]);
  });

  it("keeps only ServiceWithHealthchecks, by name", () => {
    expect([...extractSwhManifests(page).keys()]).toEqual(["b"]);
  });
});
