// The names the docs give users to type or search for must exist: metric names (the agent's
// registry and the hooks' metrics), alert names (monitoring/prometheus-rules), settings paths
// (openapi/config-values.yaml) and the module's annotations and labels (api/contract.ts). And
// the other way round: every alert the module ships is explained in the FAQ, in both languages.
import { readdirSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import * as contract from "../../../api/contract.js";
import { GC_METRICS } from "../../../hooks/endpointslice-gc/apply.js";
import { STATUS_METRICS } from "../../../hooks/status/metrics.js";
import { AgentMetrics } from "../../../images/agent/src/metrics.js";
import { codeBlocks, codeSpans, listDocs, readDoc } from "./markdown.js";
import { leafSettings, loadSettingsSchema } from "./settings.js";

const RULES_DIR = new URL("../../../monitoring/prometheus-rules/", import.meta.url);

/** Alert names defined by the module's Prometheus rules. */
function shippedAlerts(): string[] {
  return readdirSync(RULES_DIR)
    .filter(file => /\.ya?ml$/.test(file))
    .flatMap(file => {
      const groups = parse(readFileSync(new URL(file, RULES_DIR), "utf8")) as Array<{
        rules?: Array<{ alert?: string }>;
      }>;
      return groups.flatMap(group => (group.rules ?? []).flatMap(rule => rule.alert ?? []));
    });
}

const agentMetricNames = new AgentMetrics(false).registry
  .getMetricsAsArray()
  .map(metric => metric.name);
const hookMetricNames = [...Object.values(GC_METRICS), ...Object.values(STATUS_METRICS)];
const metricNames = new Set<string>([...agentMetricNames, ...hookMetricNames]);
const alerts = shippedAlerts();
const settings = new Set(leafSettings(loadSettingsSchema()).map(s => s.path));
/**
 * The module's own names, plus the one `network.deckhouse.io` name the docs mention that belongs
 * to the Go implementation: the custom Secret type it required (still accepted here).
 */
const knownNames = new Set<string>([
  ...(Object.values(contract) as unknown[]).filter((v): v is string => typeof v === "string"),
  "network.deckhouse.io/postgresql-credentials",
]);
const pages = listDocs();

/** Every word of a page, code spans and code blocks included, matching `pattern`. */
function mentions(text: string, pattern: RegExp): string[] {
  const sources = [...codeSpans(text), ...codeBlocks(text).map(b => b.content), text];
  return [...new Set(sources.flatMap(source => [...source.matchAll(pattern)].map(m => m[0])))];
}

describe("names the docs mention", () => {
  it("come from real sources", () => {
    expect(agentMetricNames.length).toBeGreaterThan(10);
    expect(alerts.length).toBeGreaterThan(3);
    expect(settings.size).toBeGreaterThan(5);
  });

  it.each(pages)("%s: every metric exists", page => {
    const names = mentions(readDoc(page), /\b(swh_agent|d8_swh)_[a-z_]+\b/g);
    expect(names.filter(name => !metricNames.has(name))).toEqual([]);
  });

  it.each(pages)("%s: every alert exists", page => {
    const names = mentions(readDoc(page), /\bServiceWithHealthchecks[A-Z][A-Za-z]+\b/g);
    expect(names.filter(name => !alerts.includes(name))).toEqual([]);
  });

  it.each(pages)("%s: every setting path exists", page => {
    const paths = codeSpans(readDoc(page))
      .map(span => span.replace(/:.*$/, ""))
      .filter(span => /^(agent|heartbeat)\.[A-Za-z.]+$/.test(span) || settings.has(span));
    expect(paths.filter(path => !settings.has(path))).toEqual([]);
  });

  it.each(pages)("%s: every network.deckhouse.io annotation or label is the module's", page => {
    const keys = mentions(readDoc(page), /\bnetwork\.deckhouse\.io\/[a-z-]+\b/g);
    expect(keys.filter(key => !knownNames.has(key))).toEqual([]);
  });
});

describe.each(["FAQ.md", "FAQ_RU.md"])("%s", page => {
  const spans = new Set(codeSpans(readDoc(page)));

  it.each(alerts)("explains the alert %s", alert => {
    expect([alert, spans.has(alert)]).toEqual([alert, true]);
  });
});
