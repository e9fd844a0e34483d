// The CEL rule that lets spec.healthcheck.failOpen stand only beside probes, evaluated with a
// real CEL engine (@marcbachmann/cel-js) on spec.healthcheck after the CRD's defaults, so a
// broken rule fails before the e2e suite's API server sees it.
import { evaluateRule } from "../../cluster/module/deckhouse-validations.js";
import { applyDefaults, celRules, openApiSchema } from "../../support/crd-schema.js";
import { loadManifestFixtures } from "../../fixtures/manifests/fixtures.js";
import { celInts } from "../../support/cel-values.js";

const schema = openApiSchema();
const rule = celRules(schema).find(r => r.message?.includes("failOpen needs"))!;

/** The rule's verdict on a manifest's spec.healthcheck, after the CRD's defaults. */
function verdict(manifest: Record<string, unknown>): string {
  const defaulted = applyDefaults(schema, manifest) as { spec?: { healthcheck?: unknown } };
  const healthcheck = defaulted.spec?.healthcheck;
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

const probes = [{ mode: "TCP", tcp: { targetPort: 80 } }];

describe("the failOpen CEL rule", () => {
  it("sits on spec.healthcheck and points at failOpen", () => {
    expect([rule.path, rule.fieldPath]).toEqual([".spec.healthcheck", ".failOpen"]);
  });

  const fixtures = [
    ...loadManifestFixtures("seed"),
    ...loadManifestFixtures("valid"),
    ...loadManifestFixtures("invalid").filter(f => f.expectCel.some(m => m.includes("failOpen"))),
  ];

  it("has the fail-open fixtures to judge", () => {
    expect(fixtures.filter(f => f.file.includes("fail-open")).map(f => f.file)).toEqual([
      "postgres-read-fail-open.yaml",
      "fail-open-without-probes.yaml",
    ]);
  });

  it.each(fixtures.map(f => [`${f.group}/${f.file}`, f] as const))("judges %s", (_n, fixture) => {
    expect(verdict(fixture.object)).toBe(fixture.group === "invalid" ? "violated" : "pass");
  });

  it.each([
    [{ probes }, "pass"],
    [{ probes, failOpen: { minPassingPercent: 50 } }, "pass"],
    [{ failOpen: { minPassingPercent: 50 } }, "violated"],
    [{ periodSeconds: 5 }, "pass"],
  ])("given %j, the verdict is %s", (healthcheck, want) => {
    expect(verdict(swh(healthcheck))).toBe(want);
  });
});
