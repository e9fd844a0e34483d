// Stand-in for dmt's `templates` linter (deckhouse/dmt cannot be built here). Each test is named
// after the dmt rule it checks; it looks at the staged module and its renders (defaults and every
// settings example, all optional CRD modules enabled), plus a render with those modules off.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import {
  ensureHelm,
  moduleValues,
  renderOrThrow,
  settingsExamples,
  type RenderedObject,
} from "../../support/helm.js";
import {
  POD_CONTROLLERS,
  filesUnder,
  idOf,
  loadModuleUnderTest,
  podOf,
  type ModuleUnderTest,
} from "./module-under-test.js";

const RENDERS = ["defaults", ...settingsExamples().map((_s, i) => `example ${i}`)];

let m: ModuleUnderTest;

beforeAll(async () => {
  m = await loadModuleUnderTest();
}, 600_000);

afterAll(async () => {
  await m?.cleanup();
});

const objectsOf = (render: string): readonly RenderedObject[] => m.renders.get(render) ?? [];

/** Offsets of PromQL syntax errors (Prometheus' own grammar). */
function promqlErrors(expr: string): number[] {
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter: node => {
      if (node.type.isError) errors.push(node.from);
    },
  });
  return errors;
}

describe.each(RENDERS)("templates linter, %s", render => {
  it("vpa: every pod controller has a VPA; outside mode Off it covers every container", () => {
    const objects = objectsOf(render);
    const vpas = objects.filter(o => o.kind === "VerticalPodAutoscaler");
    for (const o of objects.filter(x => POD_CONTROLLERS.has(x.kind))) {
      const vpa = vpas.find(v => {
        const ref = (v.spec as { targetRef: { kind: string; name: string } }).targetRef;
        return (
          ref.kind === o.kind &&
          ref.name === o.metadata.name &&
          v.metadata.namespace === o.metadata.namespace
        );
      });
      expect([idOf(o), vpa !== undefined]).toEqual([idOf(o), true]);
      const spec = vpa?.spec as {
        updatePolicy: { updateMode: string };
        resourcePolicy?: {
          containerPolicies: { containerName: string; minAllowed: object; maxAllowed: object }[];
        };
      };
      if (spec.updatePolicy.updateMode === "Off") continue;
      const policies = spec.resourcePolicy?.containerPolicies ?? [];
      expect(policies.map(p => p.containerName).sort()).toEqual(
        podOf(o)
          .spec.containers.map(c => c.name)
          .sort(),
      );
    }
  });

  it("pdb: every Deployment and StatefulSet has a matching PDB (DaemonSets are exempt)", () => {
    const objects = objectsOf(render);
    const pdbs = objects.filter(o => o.kind === "PodDisruptionBudget");
    for (const o of objects.filter(x => x.kind === "Deployment" || x.kind === "StatefulSet")) {
      const labels = podOf(o).metadata?.labels ?? {};
      const match = pdbs.find(p => {
        const selector = (p.spec as { selector: { matchLabels: Record<string, string> } }).selector;
        return Object.entries(selector.matchLabels).every(([k, v]) => labels[k] === v);
      });
      expect([idOf(o), match !== undefined]).toEqual([idOf(o), true]);
    }
  });

  it("kube-rbac-proxy: every d8- namespace holds the kube-rbac-proxy CA ConfigMap", () => {
    const objects = objectsOf(render);
    const namespaces = objects.filter(
      o => o.kind === "Namespace" && o.metadata.name.startsWith("d8-"),
    );
    expect(namespaces.length).toBeGreaterThan(0);
    for (const ns of namespaces) {
      const ca = objects.find(
        o =>
          o.kind === "ConfigMap" &&
          o.metadata.name === "kube-rbac-proxy-ca.crt" &&
          o.metadata.namespace === ns.metadata.name,
      );
      expect([ns.metadata.name, (ca?.data as { "ca.crt"?: string })?.["ca.crt"]]).toEqual([
        ns.metadata.name,
        expect.stringContaining("BEGIN CERTIFICATE"),
      ]);
    }
  });

  it("service-port: Services target named ports", () => {
    for (const svc of objectsOf(render).filter(o => o.kind === "Service")) {
      for (const port of (svc.spec as { ports: { targetPort?: unknown }[] }).ports) {
        expect([idOf(svc), typeof port.targetPort]).toEqual([idOf(svc), "string"]);
      }
    }
  });

  it("prometheus-rules: every rendered rule expression is valid PromQL", () => {
    const rules = objectsOf(render).filter(o => o.kind === "PrometheusRule");
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      const groups = (rule.spec as { groups: { rules: { expr: string }[] }[] }).groups;
      for (const r of groups.flatMap(g => g.rules)) {
        expect([r.expr, promqlErrors(r.expr)]).toEqual([r.expr, []]);
      }
    }
  });
});

describe("templates linter, module files", () => {
  it("prometheus-rules and grafana-dashboards: templates/monitoring.yaml uses lib-helm's helpers", () => {
    const text = readFileSync(join(m.dir, "templates", "monitoring.yaml"), "utf8").replaceAll(
      " ",
      "",
    );
    expect(text).toContain('include"helm_lib_prometheus_rules"');
    expect(text).toContain('include"helm_lib_grafana_dashboard_definitions"');
  });

  it("grafana-dashboards: timeseries panels, the ds_prometheus variable, $__rate_interval", () => {
    const dashboards = filesUnder(join(m.dir, "monitoring", "grafana-dashboards")).filter(f =>
      f.endsWith(".json"),
    );
    expect(dashboards.length).toBeGreaterThan(0);
    for (const file of dashboards) {
      const text = readFileSync(join(m.dir, "monitoring", "grafana-dashboards", file), "utf8");
      const dashboard = JSON.parse(text) as {
        panels: { type: string; datasource?: { uid: string }; alert?: unknown }[];
        templating: { list: { name: string; type: string }[] };
      };
      expect(dashboard.templating.list).toContainEqual(
        expect.objectContaining({ name: "ds_prometheus", type: "datasource" }),
      );
      for (const panel of dashboard.panels) {
        expect(["graph", "flant-statusmap-panel"]).not.toContain(panel.type);
        expect(panel.alert).toBeUndefined();
        if (panel.type !== "row") expect(panel.datasource?.uid).toBe("${ds_prometheus}");
      }
      expect(text).not.toMatch(/interval_rv|interval_sx3|interval_sx4/);
    }
  });

  it("cluster-domain: no hard-coded cluster.local in templates", () => {
    for (const file of filesUnder(join(m.dir, "templates"))) {
      const text = readFileSync(join(m.dir, "templates", file), "utf8");
      expect([file, text.includes("cluster.local")]).toEqual([file, false]);
    }
  });

  it("crd-enabled-modules: objects of other modules' CRDs render only when those are on", async () => {
    const objects = await renderOrThrow(
      ensureHelm(),
      m.dir,
      moduleValues({}, { enabledModules: [] }),
    );
    const builtIn = /^(v1|apps\/v1|rbac\.authorization\.k8s\.io\/v1)$/;
    expect(objects.filter(o => !builtIn.test(o.apiVersion)).map(idOf)).toEqual([]);
  });
});
