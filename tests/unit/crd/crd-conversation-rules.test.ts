// The CEL rules of probes[].tcp.conversation, evaluated with a real CEL engine (@marcbachmann/
// cel-js, as in crd-recheck-rule.test.ts) at every place of a manifest they apply to, so a broken
// rule fails here before the e2e suite's API server sees it: the fixtures' verdicts (each invalid
// conversation fixture violates exactly the rule its expect-cel line names) and each rule's edges.
import { evaluateRule } from "../../cluster/module/deckhouse-validations.js";
import { celRules, openApiSchema } from "../../support/crd-schema.js";
import { loadManifestFixtures } from "../../fixtures/manifests/fixtures.js";
import { jsonCopy, valuesAt } from "../../support/cel-values.js";

const schema = openApiSchema();
const rules = celRules(schema).filter(r => r.path.includes(".tcp.conversation"));

/** The messages of the conversation rules a manifest violates (or "error: ..." for a broken rule). */
function violations(manifest: unknown): string[] {
  const out: string[] = [];
  for (const rule of rules) {
    for (const self of valuesAt(jsonCopy(manifest), rule.path)) {
      const verdict = evaluateRule({ expression: rule.rule, message: rule.message! }, self);
      if (verdict.kind === "violated") out.push(rule.message!);
      if (verdict.kind === "error") out.push(`error: ${verdict.detail}`);
    }
  }
  return out;
}

const swh = (conversation: unknown[]): Record<string, unknown> => ({
  spec: {
    healthcheck: { probes: [{ mode: "TCP", tcp: { targetPort: 2525, conversation } }] },
  },
});

describe("the tcp.conversation CEL rules", () => {
  it("are four, on the list, its steps, send and expect", () => {
    expect(rules.map(r => r.path)).toEqual([
      ".spec.healthcheck.probes[].tcp.conversation",
      ".spec.healthcheck.probes[].tcp.conversation[]",
      ".spec.healthcheck.probes[].tcp.conversation[].send",
      ".spec.healthcheck.probes[].tcp.conversation[].expect",
    ]);
  });

  const fixtures = [
    ...loadManifestFixtures("seed"),
    ...loadManifestFixtures("valid"),
    ...loadManifestFixtures("invalid").filter(f =>
      f.expectCel.some(m => m.includes("conversation")),
    ),
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
    // the seed's SMTP conversation and a Redis PING
    [
      [
        { expect: { prefix: "220" } },
        { send: "EHLO swh-probe" },
        { expect: { prefix: "250" } },
        { send: "QUIT" },
      ],
      0,
    ],
    [[{ send: "PING" }, { expect: { contains: "+PONG" } }], 0],
    // an empty line is a line: allowed
    [[{ send: "" }, { expect: { prefix: "HTTP/1.0 200" } }], 0],
    // a lone LF or a lone CR is refused as well as CRLF
    [[{ expect: { prefix: "2" } }, { send: "a\nb" }], 1],
    [[{ expect: { prefix: "2" } }, { send: "a\rb" }], 1],
    // every malformed step counts
    [[{ expect: {} }, {}, { send: "x", expect: { contains: "y" } }], 3],
    // only sends: the list rule
    [[{ send: "HELP" }, { send: "QUIT" }], 1],
  ])("given %j, finds %d violations", (conversation, count) => {
    expect(violations(swh(conversation))).toHaveLength(count);
  });
});
