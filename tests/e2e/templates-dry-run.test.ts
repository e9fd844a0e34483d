// Every object the module's chart renders passes the real kube-apiserver's validation and admission
// (server-side dry run in the cluster in a box), with the default settings and with every settings
// example. The module namespace is applied for real first (namespaced objects cannot be dry-run
// into a namespace that does not exist; it is the namespace the module creates anyway). Objects of
// CRDs that other Deckhouse modules install (PodMonitor, PrometheusRule,
// GrafanaDashboardDefinition, VerticalPodAutoscaler) are not rendered here: their
// `*-crd` modules are off, and the box has no such CRDs.
import type { KubernetesObject } from "@kubernetes/client-node";
import { applyYaml } from "../testenv/index.js";
import {
  moduleValues,
  type RenderedObject,
  settingsExamples,
  useStagedChart,
} from "../support/helm.js";

const FIELD_MANAGER = "swh-templates-dry-run";
const stateDir = process.env.SWH_TESTENV_DIR;

const staged = useStagedChart();

/** The object as the API server takes it: without the test's `source` bookkeeping. */
function manifest(object: RenderedObject): KubernetesObject {
  return Object.fromEntries(Object.entries(object).filter(([key]) => key !== "source"));
}

async function dryRunAll(settings: unknown): Promise<RenderedObject[]> {
  const objects = await staged.render(moduleValues(settings, { enabledModules: [] }));
  const namespaces = objects.filter(o => o.kind === "Namespace");
  await applyYaml(namespaces.map(manifest), { stateDir, fieldManager: FIELD_MANAGER });
  const rest = objects.filter(o => o.kind !== "Namespace");
  const answers = await applyYaml(rest.map(manifest), {
    stateDir,
    dryRun: true,
    fieldManager: FIELD_MANAGER,
  });
  expect(answers).toHaveLength(rest.length);
  return objects;
}

describe("rendered templates against the API server (server-side dry run)", () => {
  it("accepts every object rendered with the default settings", async () => {
    const objects = await dryRunAll({});
    expect([...new Set(objects.map(o => o.kind))].sort()).toEqual([
      "ClusterRole",
      "ClusterRoleBinding",
      "ConfigMap",
      "DaemonSet",
      "Namespace",
      "Role",
      "RoleBinding",
      "ServiceAccount",
    ]);
  }, 60_000);

  it.each(settingsExamples().map((s, i) => [i, s] as const))(
    "accepts every object rendered with settings example %i",
    async (_i, settings) => {
      const objects = await dryRunAll(settings);
      expect(objects.some(o => o.kind === "DaemonSet")).toBe(true);
    },
    60_000,
  );
});
