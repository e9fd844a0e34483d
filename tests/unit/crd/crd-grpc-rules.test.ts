// The CEL rules a GRPC probe meets, evaluated with a real CEL engine (@marcbachmann/cel-js, as in
// crd-conversation-rules.test.ts) on manifests after the CRD's defaults, as the API server
// evaluates them: the four mode rules (each section required by its mode, the others forbidden,
// grpc included) and the grpc section's TLS rules. Every fixture is judged, so a broken rule or a
// valid manifest that a new rule would refuse fails here before the e2e suite's API server.
import { evaluateRule } from "../../cluster/module/deckhouse-validations.js";
import { applyDefaults, celRules, openApiSchema } from "../../support/crd-schema.js";
import { loadManifestFixtures } from "../../fixtures/manifests/fixtures.js";
import { celInts, jsonCopy, valuesAt } from "../../support/cel-values.js";

const schema = openApiSchema();
const rules = celRules(schema).filter(
  r =>
    r.path === ".spec.healthcheck.probes[]" || r.path.startsWith(".spec.healthcheck.probes[].grpc"),
);

/** The messages of the rules a manifest violates, after defaulting ("error: ..." if broken). */
function violations(manifest: unknown): string[] {
  const defaulted = celInts(jsonCopy(applyDefaults(schema, jsonCopy(manifest))));
  const out: string[] = [];
  for (const rule of rules) {
    for (const self of valuesAt(defaulted, rule.path)) {
      const verdict = evaluateRule({ expression: rule.rule, message: rule.message! }, self);
      if (verdict.kind === "violated") out.push(rule.message!);
      if (verdict.kind === "error") out.push(`error: ${verdict.detail}`);
    }
  }
  return out;
}

const swh = (probe: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: "network.deckhouse.io/v1alpha1",
  kind: "ServiceWithHealthchecks",
  metadata: { name: "g", namespace: "ns" },
  spec: { selector: { app: "g" }, ports: [{ port: 50051 }], healthcheck: { probes: [probe] } },
});

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("the mode and grpc CEL rules", () => {
  it("are the four mode rules and the grpc section's four", () => {
    expect(rules.map(r => r.path)).toEqual([
      ".spec.healthcheck.probes[]",
      ".spec.healthcheck.probes[]",
      ".spec.healthcheck.probes[]",
      ".spec.healthcheck.probes[]",
      ".spec.healthcheck.probes[].grpc",
      ".spec.healthcheck.probes[].grpc",
      ".spec.healthcheck.probes[].grpc",
      ".spec.healthcheck.probes[].grpc.targetPort",
      ".spec.healthcheck.probes[].grpc.caCert",
    ]);
  });

  const modeOrGrpc = (messages: readonly string[]): boolean =>
    messages.some(m => m.includes(" must be set when mode is ") || m.startsWith("grpc."));
  const fixtures = [
    ...loadManifestFixtures("seed"),
    ...loadManifestFixtures("valid"),
    ...loadManifestFixtures("invalid").filter(f => modeOrGrpc(f.expectCel)),
  ];

  it.each(fixtures.map(f => [`${f.group}/${f.file}`, f] as const))("judges %s", (_n, fixture) => {
    const found = violations(fixture.object);
    if (fixture.group !== "invalid") expect(found).toEqual([]);
    else {
      expect(found).toHaveLength(1);
      expect(found[0]).toContain(fixture.expectCel[0]);
    }
  });

  it.each([
    [{ mode: "GRPC", grpc: { targetPort: 50051 } }, []],
    [
      { mode: "GRPC", grpc: { targetPort: "grpc", service: "a.B", scheme: "HTTPS", caCert: CA } },
      [],
    ],
    [{ mode: "GRPC", grpc: { targetPort: 1, scheme: "HTTPS", insecureSkipTLSVerify: true } }, []],
    [
      { mode: "HTTP", http: { targetPort: 80 }, grpc: { targetPort: 50051 } },
      ["probes[].http must be set when mode is HTTP, and tcp/postgreSQL/grpc must not be"],
    ],
    [
      { mode: "PostgreSQL", postgreSQL: { targetPort: 5432 }, grpc: { targetPort: 50051 } },
      ["probes[].postgreSQL must be set when mode is PostgreSQL, and tcp/http/grpc must not be"],
    ],
    [
      { mode: "GRPC", http: { targetPort: 80 } },
      ["probes[].grpc must be set when mode is GRPC, and tcp/http/postgreSQL must not be"],
    ],
    [
      { mode: "GRPC", grpc: { targetPort: 1, insecureSkipTLSVerify: true, caCert: CA } },
      [
        "grpc.caCert is only used with scheme HTTPS; set scheme: HTTPS or remove caCert",
        "grpc.insecureSkipTLSVerify is only used with scheme HTTPS; set scheme: HTTPS or remove insecureSkipTLSVerify",
        "grpc.caCert and grpc.insecureSkipTLSVerify: true contradict each other; keep caCert to verify the server against it, or remove caCert to skip verification",
      ],
    ],
    [
      { mode: "GRPC", grpc: { targetPort: "GRPC" } },
      [expect.stringMatching(/^targetPort must be a port number 1-65535 or a container port name/)],
    ],
  ])("given %j, finds %j", (probe, expected) => {
    expect(violations(swh(probe))).toEqual(expected);
  });
});
