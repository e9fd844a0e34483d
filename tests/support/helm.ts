// Renders the module's Helm chart the way Deckhouse does, for the template tests: stages the module
// (scripts/stage-module.sh, so the render sees exactly what a cluster gets), builds values shaped
// like addon-operator's (global values + the module's settings with the OpenAPI defaults applied)
// and runs the real `helm template` (helm v3, built from the Go module proxy by
// tests/testenv/build-tools.sh into the tool cache, once per machine).
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { Ajv } from "ajv";
import { parse, parseAllDocuments } from "yaml";
import { MODULE_NAMESPACE } from "../../api/contract.js";
import { cacheDir, parseEnvFile, testenvSourceDir } from "../testenv/layout.js";

const run = promisify(execFile);

/** Repository root (this file is tests/support/helm.ts). */
export const REPO_ROOT = join(import.meta.dirname, "..", "..");

/** The module's values key (addon-operator's camelCase of the module name). */
export const VALUES_KEY = "serviceWithHealthchecks";

/** A rendered Kubernetes object, with the template file it came from. */
export interface RenderedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  /** Path of the template inside the chart, e.g. `templates/agent/daemonset.yaml`. */
  readonly source: string;
  readonly [field: string]: unknown;
}

/** Pinned helm version (tests/testenv/versions.env). */
export function helmVersion(): string {
  const env = parseEnvFile(readFileSync(join(testenvSourceDir(), "versions.env"), "utf8"));
  const version = env.get("HELM_VERSION");
  if (!version) throw new Error("tests/testenv/versions.env does not set HELM_VERSION");
  return version;
}

/**
 * Path of the helm binary, building it first when the tool cache lacks it (a few minutes on a
 * cold machine, then instant). Throws with the build's own output when the build fails.
 */
export function ensureHelm(): string {
  const binary = join(cacheDir(), "bin", `helm-${helmVersion()}`);
  if (existsSync(binary)) return binary;
  try {
    execFileSync("bash", [join(testenvSourceDir(), "build-tools.sh"), "helm"], {
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
    });
  } catch (err) {
    throw new Error(`building helm ${helmVersion()} failed`, { cause: err });
  }
  return binary;
}

/**
 * Stages the module (without the hooks executable, which rendering does not need) into a fresh
 * temporary directory and returns it; remove it with `rm(dir, { recursive: true })`.
 */
export async function stageModule(): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), "swh-chart-"));
  const out = join(parent, "module");
  try {
    await run("bash", [join(REPO_ROOT, "scripts", "stage-module.sh"), "--no-hooks", "--out", out]);
  } catch (err) {
    await rm(parent, { recursive: true, force: true });
    throw new Error("scripts/stage-module.sh failed", { cause: err });
  }
  return out;
}

function readYaml(relative: string): Record<string, unknown> {
  return parse(readFileSync(join(REPO_ROOT, relative), "utf8")) as Record<string, unknown>;
}

/** The settings schema (openapi/config-values.yaml). */
export function settingsSchema(): Record<string, unknown> {
  return readYaml("openapi/config-values.yaml");
}

/** The settings examples the schema carries (`x-examples`). */
export function settingsExamples(): Record<string, unknown>[] {
  return (settingsSchema()["x-examples"] ?? []) as Record<string, unknown>[];
}

const withoutExamples = (schema: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(schema).filter(([key]) => key !== "x-examples"));

/**
 * Validates settings and applies the schema's defaults, as addon-operator does before helm sees
 * them. Throws listing the schema errors when the settings are invalid.
 */
export function applySettingsDefaults(settings: unknown): Record<string, unknown> {
  const ajv = new Ajv({ strict: false, useDefaults: true, allErrors: true });
  ajv.addFormat("int64", true);
  const validate = ajv.compile(withoutExamples(settingsSchema()));
  const copy = structuredClone(settings ?? {}) as Record<string, unknown>;
  if (!validate(copy)) {
    throw new Error(
      `settings ${JSON.stringify(settings)} are invalid: ${ajv.errorsText(validate.errors)}`,
    );
  }
  return copy;
}

/** Module names Deckhouse reports in `global.enabledModules` that change what is rendered. */
export const MONITORING_MODULES = [
  "operator-prometheus-crd",
  "prometheus-crd",
  "vertical-pod-autoscaler-crd",
] as const;

/** Options of moduleValues. */
export interface ValuesOptions {
  /** `global.enabledModules`; default every module the templates look for. */
  readonly enabledModules?: readonly string[];
  /** Apply the OpenAPI defaults to the settings (addon-operator always does). Default true. */
  readonly applyDefaults?: boolean;
}

/** Image digests the test values carry (fake, well-formed). */
export const TEST_DIGESTS = {
  agent: `sha256:${"a".repeat(64)}`,
  kubeRbacProxy: `sha256:${"b".repeat(64)}`,
} as const;

/** The registry the test values carry: dmt's default registry, which its image rule expects. */
export const TEST_REGISTRY = "registry.example.com/deckhouse";

/**
 * Values shaped like addon-operator's for this module: `global` (registry and image digests in
 * the legacy layout, enabled modules, discovery, the kube-rbac-proxy CA) and the module's
 * settings, with defaults applied, plus `internal: {}`.
 */
export function moduleValues(settings: unknown, opts: ValuesOptions = {}): Record<string, unknown> {
  const moduleSettings =
    opts.applyDefaults === false
      ? (structuredClone(settings ?? {}) as Record<string, unknown>)
      : applySettingsDefaults(settings);
  return {
    global: {
      enabledModules: [...(opts.enabledModules ?? MONITORING_MODULES)],
      modulesImages: {
        registry: { base: TEST_REGISTRY },
        digests: {
          common: { kubeRbacProxy: TEST_DIGESTS.kubeRbacProxy },
          [VALUES_KEY]: { agent: TEST_DIGESTS.agent },
        },
      },
      discovery: {
        clusterDomain: "cluster.local",
        kubernetesVersion: "1.34.10",
        prometheusScrapeInterval: 30,
      },
      internal: {
        modules: {
          kubeRBACProxyCA: {
            cert: "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n",
          },
        },
      },
    },
    [VALUES_KEY]: { ...moduleSettings, internal: {} },
  };
}

/** Result of a render: the objects, or helm's error output. */
export type RenderResult =
  | { readonly ok: true; readonly objects: RenderedObject[]; readonly text: string }
  | { readonly ok: false; readonly error: string };

/** Splits `helm template` output into objects, each tagged with its `# Source:` template. */
export function parseRendered(text: string, chartName: string): RenderedObject[] {
  const objects: RenderedObject[] = [];
  for (const chunk of text.split(/^---[ \t]*$/m)) {
    const source = /^# Source: (.+)$/m.exec(chunk)?.[1]?.trim().replace(`${chartName}/`, "") ?? "";
    const docs = parseAllDocuments(chunk);
    for (const doc of docs) {
      if (doc.errors.length > 0) {
        const detail = doc.errors.map(e => e.message).join("; ");
        throw new Error(`helm rendered invalid YAML in ${source || "?"}: ${detail}`);
      }
      const value = doc.toJS() as Record<string, unknown> | null;
      if (value === null || value === undefined) continue;
      objects.push({ ...(value as object), source } as RenderedObject);
    }
  }
  return objects;
}

/** Renders the staged chart in `chartDir` with `values` (`helm template`, module namespace). */
export async function helmTemplate(
  helm: string,
  chartDir: string,
  values: Record<string, unknown>,
): Promise<RenderResult> {
  const dir = await mkdtemp(join(tmpdir(), "swh-values-"));
  const file = join(dir, "values.json");
  try {
    await writeFile(file, JSON.stringify(values));
    const args = [
      "template",
      "service-with-healthchecks",
      chartDir,
      "--namespace",
      MODULE_NAMESPACE,
    ];
    const { stdout } = await run(helm, [...args, "--values", file], { maxBuffer: 64 << 20 });
    const chartName = String(readYaml("Chart.yaml").name);
    return { ok: true, objects: parseRendered(stdout, chartName), text: stdout };
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr;
    if (typeof stderr === "string" && stderr !== "") return { ok: false, error: stderr };
    throw new Error(`cannot run ${helm}`, { cause: err });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Renders and throws with helm's message when rendering fails. */
export async function renderOrThrow(
  helm: string,
  chartDir: string,
  values: Record<string, unknown>,
): Promise<RenderedObject[]> {
  const result = await helmTemplate(helm, chartDir, values);
  if (!result.ok) throw new Error(`helm template failed: ${result.error}`);
  return result.objects;
}

/** The chart of a test file: `helm template` over a staged copy of the module. */
export interface StagedChart {
  /** helmTemplate over the staged chart. */
  template(values: Record<string, unknown>): Promise<RenderResult>;
  /** renderOrThrow over the staged chart. */
  render(values: Record<string, unknown>): Promise<RenderedObject[]>;
}

/**
 * Builds helm (once, cached) and stages the module in the calling file's (or describe block's)
 * `beforeAll`, and removes the staged copy in its `afterAll`.
 */
export function useStagedChart(): StagedChart {
  let helm = "";
  let chart = "";
  beforeAll(async () => {
    helm = ensureHelm();
    chart = await stageModule();
  }, 600_000);
  afterAll(async () => {
    if (chart) await rm(dirname(chart), { recursive: true, force: true });
  });
  return {
    template: values => helmTemplate(helm, chart, values),
    render: values => renderOrThrow(helm, chart, values),
  };
}

/** The object of `kind` named `name`; throws listing what was rendered when absent. */
export function findObject(
  objects: readonly RenderedObject[],
  kind: string,
  name: string,
): RenderedObject {
  const found = objects.find(o => o.kind === kind && o.metadata.name === name);
  if (!found) {
    const have = objects.map(o => `${o.kind}/${o.metadata.name}`).join(", ");
    throw new Error(`no ${kind}/${name} rendered; have: ${have}`);
  }
  return found;
}
