// Monitoring shipped by the module: alert rules (monitoring/prometheus-rules) and the Grafana
// dashboard (monitoring/grafana-dashboards) are well-formed, in Deckhouse's alert style, their
// PromQL parses (Prometheus' own grammar, @prometheus-io/lezer-promql) and names only metrics
// that exist: the agent's (images/agent/src/metrics.ts), the hooks' (status and GC/fencing hooks)
// or kube-state-metrics'. The monitoring objects render only when their CRDs' modules are enabled.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import { parse } from "yaml";
import { GC_METRICS } from "../../../hooks/endpointslice-gc/apply.js";
import { STATUS_METRICS } from "../../../hooks/status/metrics.js";
import { AgentMetrics } from "../../../images/agent/src/metrics.js";
import {
  moduleValues,
  type RenderedObject,
  REPO_ROOT,
  useStagedChart,
} from "../../support/helm.js";

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
}

const RULES_DIR = join(REPO_ROOT, "monitoring", "prometheus-rules");
const DASHBOARDS_DIR = join(REPO_ROOT, "monitoring", "grafana-dashboards");

const ruleFiles = readdirSync(RULES_DIR).filter(f => f.endsWith(".yaml"));
const groups: RuleGroup[] = ruleFiles.flatMap(
  f => parse(readFileSync(join(RULES_DIR, f), "utf8")) as RuleGroup[],
);
const alerts = groups.flatMap(g => g.rules);

const dashboardFiles = readdirSync(DASHBOARDS_DIR, { recursive: true, encoding: "utf8" }).filter(
  f => f.endsWith(".json"),
);

/** Every metric name a rule or panel may use. */
function knownMetrics(): Set<string> {
  const names = new Set<string>([
    ...Object.values(STATUS_METRICS),
    ...Object.values(GC_METRICS),
    "kube_daemonset_status_number_unavailable",
  ]);
  for (const metric of new AgentMetrics(true).registry.getMetricsAsArray()) {
    const name = metric.name;
    names.add(name);
    if (String(metric.type) === "histogram") {
      for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
    }
  }
  return names;
}

/** Syntax errors (their offsets) and the metric names of a PromQL expression. */
function promql(expr: string): { errors: number[]; metrics: string[] } {
  const tree = parser.parse(expr);
  const errors: number[] = [];
  const metrics: string[] = [];
  tree.iterate({
    enter: node => {
      if (node.type.isError) errors.push(node.from);
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") {
        metrics.push(expr.slice(node.from, node.to));
      }
    },
  });
  return { errors, metrics };
}

describe("alert rules", () => {
  it("are lists of named rule groups with unique alert names", () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    for (const group of groups) {
      expect(group.name).toMatch(/^service-with-healthchecks\./);
      expect(group.rules.length).toBeGreaterThan(0);
    }
    const names = alerts.map(a => a.alert);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(alerts.map(a => [a.alert ?? a.record, a] as const))(
    "%s follows the Deckhouse alert style",
    (_name, rule) => {
      expect(rule.alert).toMatch(/^ServiceWithHealthchecks[A-Z][A-Za-z]+$/);
      expect(rule.for).toMatch(/^\d+[smh]$/);
      expect(rule.labels?.severity_level).toMatch(/^[1-9]$/);
      expect(["cluster", "application"]).toContain(rule.labels?.tier);
      expect(rule.annotations).toMatchObject({
        plk_protocol_version: "1",
        plk_markup_format: "markdown",
      });
      expect(rule.annotations?.summary?.length).toBeGreaterThan(10);
      expect(rule.annotations?.description?.length).toBeGreaterThan(50);
    },
  );

  const known = knownMetrics();
  it.each(alerts.map(a => [a.alert, a.expr] as const))(
    "%s has valid PromQL over existing metrics",
    (_name, expr) => {
      const { errors, metrics } = promql(expr);
      expect(errors).toEqual([]);
      expect(metrics.length).toBeGreaterThan(0);
      for (const metric of metrics) expect([metric, known.has(metric)]).toEqual([metric, true]);
    },
  );
});

describe("Grafana dashboards", () => {
  const known = knownMetrics();

  it.each(dashboardFiles)("%s is a valid dashboard over existing metrics", file => {
    const dashboard = JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), "utf8")) as {
      uid: string;
      title: string;
      panels: Panel[];
      templating: { list: { name: string; type: string; query?: unknown }[] };
    };
    expect(dashboard.uid).toBeTruthy();
    expect(dashboard.title).toBeTruthy();
    const variable = dashboard.templating.list.find(v => v.name === "ds_prometheus");
    expect(variable).toMatchObject({ type: "datasource", query: "prometheus" });
    const ids = dashboard.panels.map(p => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const exprs: string[] = [];
    for (const panel of dashboard.panels) {
      // dmt's grafana rules: no deprecated panel types, the datasource through the variable.
      expect(["graph", "flant-statusmap-panel"]).not.toContain(panel.type);
      if (panel.type === "row") continue;
      expect(panel.datasource?.uid).toBe("${ds_prometheus}");
      for (const target of panel.targets ?? []) {
        expect(target.datasource?.uid).toBe("${ds_prometheus}");
        exprs.push(target.expr);
      }
    }
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) {
      // Rates over Grafana's interval, never a hard-coded or deprecated one.
      for (const match of expr.matchAll(/\[([^\]]+)\]/g)) expect(match[1]).toBe("$__rate_interval");
      const { errors, metrics } = promql(expr.replaceAll("$__rate_interval", "5m"));
      expect([expr, errors]).toEqual([expr, []]);
      for (const metric of metrics) expect([metric, known.has(metric)]).toEqual([metric, true]);
    }
  });

  it("shows what the agents do: probes, latency, endpoints, API writes, queue, lateness", () => {
    const text = dashboardFiles.map(f => readFileSync(join(DASHBOARDS_DIR, f), "utf8")).join("\n");
    for (const metric of [
      "swh_agent_probes_total",
      "swh_agent_probe_duration_seconds_bucket",
      "swh_agent_endpoints",
      "swh_agent_api_requests_total",
      "swh_agent_probe_queue_depth",
      "swh_agent_probe_schedule_lateness_seconds_bucket",
    ]) {
      expect(text).toContain(metric);
    }
  });
});

describe("monitoring objects", () => {
  const staged = useStagedChart();

  const kinds = (objects: readonly RenderedObject[]): string[] =>
    [...new Set(objects.map(o => o.kind))].sort();
  const MONITORING_KINDS = [
    "GrafanaDashboardDefinition",
    "PodMonitor",
    "PrometheusRule",
    "VerticalPodAutoscaler",
  ];

  it.each([
    [[], []],
    [["operator-prometheus-crd"], ["PodMonitor", "PrometheusRule"]],
    [["prometheus-crd"], ["GrafanaDashboardDefinition"]],
    [["vertical-pod-autoscaler-crd"], ["VerticalPodAutoscaler"]],
    [
      ["operator-prometheus-crd", "prometheus-crd", "vertical-pod-autoscaler-crd"],
      MONITORING_KINDS,
    ],
  ])("with modules %j enabled, renders exactly %j of them", async (enabled, expected) => {
    const objects = await staged.render(moduleValues({}, { enabledModules: enabled }));
    expect(kinds(objects).filter(k => MONITORING_KINDS.includes(k))).toEqual(expected);
    expect(kinds(objects)).toEqual(expect.arrayContaining(["DaemonSet", "Namespace"]));
  });

  it("renders each rules file as a PrometheusRule in the module namespace, unchanged", async () => {
    const objects = await staged.render(moduleValues({}));
    const rules = objects.filter(o => o.kind === "PrometheusRule");
    expect(rules.map(r => r.metadata.name).sort()).toEqual(
      ruleFiles.map(f => `service-with-healthchecks-${f.replace(/\.yaml$/, "")}`).sort(),
    );
    for (const rule of rules) {
      expect(rule.metadata.namespace).toBe("d8-service-with-healthchecks");
      const file = `${rule.metadata.name.replace("service-with-healthchecks-", "")}.yaml`;
      const source = parse(readFileSync(join(RULES_DIR, file), "utf8")) as unknown;
      expect((rule.spec as { groups: unknown }).groups).toEqual(source);
    }
  });

  it("renders the dashboards as GrafanaDashboardDefinitions, unchanged", async () => {
    const objects = await staged.render(moduleValues({}));
    const dashboards = objects.filter(o => o.kind === "GrafanaDashboardDefinition");
    expect(dashboards).toHaveLength(dashboardFiles.length);
    for (const d of dashboards) {
      const spec = d.spec as { folder: string; definition: string };
      const file = dashboardFiles.find(
        f =>
          JSON.parse(spec.definition).uid ===
          JSON.parse(readFileSync(join(DASHBOARDS_DIR, f), "utf8")).uid,
      );
      expect(file).toBeDefined();
      expect(JSON.parse(spec.definition)).toEqual(
        JSON.parse(readFileSync(join(DASHBOARDS_DIR, file ?? ""), "utf8")),
      );
      expect(spec.folder).toBe("Network");
      expect(d.metadata.labels?.["prometheus.deckhouse.io/grafana-dashboard"]).toBe("");
    }
  });

  it("scrapes the agents through kube-rbac-proxy only", async () => {
    const objects = await staged.render(moduleValues({}));
    const monitor = objects.find(o => o.kind === "PodMonitor");
    expect(monitor?.spec).toMatchObject({
      selector: { matchLabels: { app: "agent" } },
      namespaceSelector: { matchNames: ["d8-service-with-healthchecks"] },
      podMetricsEndpoints: [{ port: "https-metrics", scheme: "https", path: "/metrics" }],
    });
  });
});
