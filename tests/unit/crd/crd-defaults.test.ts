// The CRD's defaults, applied the way the API server applies them: the seed manifests end up with
// the Go implementation's healthcheck defaults, and the defaulting walker follows the API
// server's rules (nested defaults, nulls, absent objects stay absent).
import { applyDefaults, openApiSchema, type StructuralSchema } from "../../support/crd-schema.js";
import { HEALTHCHECK_DEFAULTS, type ServiceWithHealthchecks } from "../../../api/v1alpha1.js";
import { loadManifestFixtures } from "../../fixtures/manifests/fixtures.js";

const schema = openApiSchema();
const seeds = loadManifestFixtures("seed");
const defaulted = (name: string): ServiceWithHealthchecks => {
  const seed = seeds.find(s => s.file === `${name}.yaml`);
  if (!seed) throw new Error(`no seed ${name}`);
  return applyDefaults(schema, seed.object) as unknown as ServiceWithHealthchecks;
};

describe("CRD defaults on the seed manifests", () => {
  it.each(["postgres-read", "postgres-write", "web", "smtp"])(
    "%s gets the healthcheck timing, probe thresholds and port protocol defaults",
    name => {
      const swh = defaulted(name);
      expect(swh.spec.type).toBe("ClusterIP");
      expect(swh.spec.ports!.map(p => p.protocol)).toEqual(["TCP"]);
      expect(swh.spec.healthcheck).toMatchObject({
        initialDelaySeconds: HEALTHCHECK_DEFAULTS.initialDelaySeconds,
        periodSeconds: HEALTHCHECK_DEFAULTS.periodSeconds,
        requirePodReady: false,
      });
      expect(swh.spec.healthcheck!.initialDelaySeconds).toBe(10);
      expect(swh.spec.healthcheck!.periodSeconds).toBe(10);
      for (const probe of swh.spec.healthcheck!.probes!) {
        expect(probe).toMatchObject({
          timeoutSeconds: 1,
          successThreshold: 1,
          failureThreshold: 3,
        });
      }
    },
  );

  it("keeps the seed's own query and fills nothing into postgreSQL but what is missing", () => {
    expect(defaulted("postgres-write").spec.healthcheck!.probes![0]!.postgreSQL).toEqual({
      targetPort: 5432,
      dbName: "postgres",
      authSecretName: "cred-secret",
      query: "SELECT NOT pg_is_in_recovery()",
    });
  });

  it("gives an HTTP probe method GET, scheme HTTP and TLS verification on", () => {
    expect(defaulted("web").spec.healthcheck!.probes![0]!.http).toEqual({
      targetPort: 8080,
      method: "GET",
      path: "/healthz",
      scheme: "HTTP",
      insecureSkipTLSVerify: false,
    });
  });

  it("gives a PostgreSQL probe without a query the default `select 1`", () => {
    const fixture = seeds.find(s => s.file === "postgres-read.yaml")!;
    const seed = structuredClone(fixture.object) as unknown as ServiceWithHealthchecks;
    delete seed.spec.healthcheck!.probes![0]!.postgreSQL!.query;
    const swh = applyDefaults(schema, seed);
    expect(swh.spec.healthcheck!.probes![0]!.postgreSQL!.query).toBe("select 1");
  });

  it("does not invent a healthcheck: without one, pod readiness decides", () => {
    const fixture = seeds.find(s => s.file === "smtp.yaml")!;
    const seed = structuredClone(fixture.object) as unknown as ServiceWithHealthchecks;
    delete seed.spec.healthcheck;
    const swh = applyDefaults(schema, seed);
    expect(swh.spec.healthcheck).toBeUndefined();
  });

  it("does not change its input", () => {
    const seed = seeds.find(s => s.file === "smtp.yaml")!;
    const before = structuredClone(seed.object);
    applyDefaults(schema, seed.object);
    expect(seed.object).toEqual(before);
  });
});

describe("applyDefaults", () => {
  const tiny: StructuralSchema = {
    type: "object",
    properties: {
      outer: {
        type: "object",
        default: {},
        properties: {
          inner: { type: "integer", default: 7 },
          nullable: { type: "string", nullable: true, default: "x" },
        },
      },
      list: {
        type: "array",
        items: { type: "object", properties: { mode: { type: "string", default: "TCP" } } },
      },
      labels: {
        type: "object",
        additionalProperties: {
          type: "object",
          properties: { v: { type: "integer", default: 1 } },
        },
      },
      absent: { type: "object", properties: { n: { type: "integer", default: 3 } } },
    },
  };

  it("applies defaults inside a default it just set", () => {
    expect(applyDefaults(tiny, {})).toEqual({ outer: { inner: 7, nullable: "x" } });
  });

  it("replaces a null of a non-nullable field with its default, and keeps a nullable null", () => {
    expect(applyDefaults(tiny, { outer: null })).toEqual({ outer: { inner: 7, nullable: "x" } });
    expect(applyDefaults(tiny, { outer: { nullable: null } })).toEqual({
      outer: { inner: 7, nullable: null },
    });
  });

  it("defaults every list item and every map value", () => {
    expect(
      applyDefaults(tiny, { list: [{}, { mode: "HTTP" }], labels: { a: {}, b: { v: 2 } } }),
    ).toMatchObject({
      list: [{ mode: "TCP" }, { mode: "HTTP" }],
      labels: { a: { v: 1 }, b: { v: 2 } },
    });
  });

  it("leaves an absent object without a default absent", () => {
    expect(applyDefaults(tiny, {})).not.toHaveProperty("absent");
  });
});
