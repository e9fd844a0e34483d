// The CEL rule that keeps probes[].recheckIntervalMilliseconds below the period, evaluated here
// with a real CEL engine (@marcbachmann/cel-js, as the ModuleConfig stand-in evaluates Deckhouse's
// rules) on spec.healthcheck after the CRD's defaults, so a broken rule fails before the e2e
// suite's API server sees it: the fixtures' verdicts, the default period, and the boundary.
import { evaluateRule } from "../../cluster/module/deckhouse-validations.js";
import { applyDefaults, celRules, openApiSchema } from "../../support/crd-schema.js";
import { loadManifestFixtures } from "../../fixtures/manifests/fixtures.js";
import { celInts, jsonCopy } from "../../support/cel-values.js";

const schema = openApiSchema();
const rule = celRules(schema).find(r => r.message?.includes("recheckIntervalMilliseconds"))!;

/** The rule's verdict on a manifest's spec.healthcheck, after the CRD's defaults. */
function verdict(manifest: Record<string, unknown>): string {
  const defaulted = applyDefaults(schema, manifest) as {
    spec?: { healthcheck?: unknown };
  };
  const healthcheck = jsonCopy(defaulted).spec?.healthcheck;
  if (healthcheck === undefined) return "pass";
  const out = evaluateRule({ expression: rule.rule, message: rule.message! }, celInts(healthcheck));
  return out.kind === "error" ? `error: ${out.detail}` : out.kind;
}

const swh = (healthcheck: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: "network.deckhouse.io/v1alpha1",
  kind: "ServiceWithHealthchecks",
  metadata: { name: "x" },
  spec: { selector: { app: "x" }, ports: [{ port: 80 }], healthcheck },
});

const tcp = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  mode: "TCP",
  tcp: { targetPort: 80 },
  ...extra,
});

describe("the recheckIntervalMilliseconds CEL rule", () => {
  it("sits on spec.healthcheck and points at its probes", () => {
    expect([rule.path, rule.fieldPath]).toEqual([".spec.healthcheck", ".probes"]);
  });

  const fixtures = [
    ...loadManifestFixtures("seed"),
    ...loadManifestFixtures("valid"),
    ...loadManifestFixtures("invalid").filter(f => f.expectCel.some(m => m.includes("recheck"))),
  ];

  it("has the recheck fixtures to judge", () => {
    expect(fixtures.filter(f => f.file.includes("recheck")).map(f => f.file)).toEqual([
      "postgres-write-fast-recheck.yaml",
      "recheck-interval-above-period.yaml",
      "recheck-interval-not-below-period.yaml",
    ]);
  });

  it.each(fixtures.map(f => [`${f.group}/${f.file}`, f] as const))("judges %s", (_n, fixture) => {
    const want = fixture.group === "invalid" ? "violated" : "pass";
    expect(verdict(fixture.object)).toBe(want);
  });

  it.each([
    // absent: off, whatever the period
    [{ probes: [tcp()] }, "pass"],
    // just below the default period of 10 s, and equal to it
    [{ probes: [tcp({ recheckIntervalMilliseconds: 9_999 })] }, "pass"],
    [{ probes: [tcp({ recheckIntervalMilliseconds: 10_000 })] }, "violated"],
    // an explicit period: 2 s
    [{ periodSeconds: 2, probes: [tcp({ recheckIntervalMilliseconds: 1_999 })] }, "pass"],
    [{ periodSeconds: 2, probes: [tcp({ recheckIntervalMilliseconds: 2_000 })] }, "violated"],
    // one offending probe among several is enough
    [{ probes: [tcp(), tcp({ recheckIntervalMilliseconds: 20_000 })] }, "violated"],
  ])("given %j, the verdict is %s", (healthcheck, want) => {
    expect(verdict(swh(healthcheck))).toBe(want);
  });
});
