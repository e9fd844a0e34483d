// Puts the module where addon-operator looks for it: `<modules dir>/900-service-with-healthchecks/`
// staged by scripts/stage-module.sh (exactly what the Deckhouse bundle ships: Chart.yaml,
// module.yaml, openapi, templates, crds, monitoring, hooks/swh-hooks), plus the `global` values
// Deckhouse would give the module (image registry and digests, discovery data, the CA that
// kube-rbac-proxy trusts) and the ModuleConfig CRD the deckhouse-controller would install.
import { execFile } from "node:child_process";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { pkiFiles } from "../../testenv/pki.js";
import { stateLayout } from "../../testenv/layout.js";
import { MODULE_NAME } from "../../../api/contract.js";
import { repoRoot, type WorldLayout } from "../layout.js";
import { camelCaseName } from "./settings.js";

const run = promisify(execFile);

/** The ModuleConfig CRD manifest (YAML text). */
export function moduleConfigCrdYaml(): Promise<string> {
  return readFile(fileURLToPath(new URL("moduleconfig-crd.yaml", import.meta.url)), "utf8").catch(
    () => readFile(join(repoRoot(), "tests", "cluster", "module", "moduleconfig-crd.yaml"), "utf8"),
  );
}

/** Stages the module into `layout.moduleDir` with scripts/stage-module.sh. */
export async function stageModule(layout: WorldLayout): Promise<void> {
  await mkdir(layout.modulesDir, { recursive: true });
  try {
    await run("bash", [join(repoRoot(), "scripts", "stage-module.sh"), "--out", layout.moduleDir], {
      cwd: repoRoot(),
      timeout: 120_000,
    });
  } catch (err) {
    const stderr = ((err as { stderr?: string }).stderr ?? "").trim();
    throw new Error(`scripts/stage-module.sh failed: ${stderr || String(err)}`, { cause: err });
  }
}

/** Deterministic fake image digests, for a box without real nodes (no kubelet pulls them). */
const DIGEST = (name: string): string =>
  `sha256:${Buffer.from(name.padEnd(32, "0")).toString("hex").slice(0, 64)}`;

/**
 * The module's images as the chart refers to them: one registry repository and one manifest
 * digest per image, as Deckhouse publishes them. On real nodes, the images built here and
 * imported into every node's containerd under `<registry>@<digest>`.
 */
export interface ModuleImages {
  readonly registry: string;
  readonly agent: string;
  readonly kubeRbacProxy: string;
}

const FAKE_IMAGES: ModuleImages = {
  registry: "registry.deckhouse.io/deckhouse/ce/modules",
  agent: DIGEST("swh-agent"),
  kubeRbacProxy: DIGEST("kube-rbac-proxy"),
};

/** The `global` values of a Deckhouse cluster, as far as the module's templates read them. */
export function globalValues(
  caPem: string,
  kubernetesVersion: string,
  images: ModuleImages = FAKE_IMAGES,
): Record<string, unknown> {
  return {
    global: {
      modulesImages: {
        registry: { base: images.registry },
        digests: {
          common: { kubeRbacProxy: images.kubeRbacProxy },
          serviceWithHealthchecks: { agent: images.agent },
        },
      },
      discovery: {
        clusterDomain: "cluster.local",
        kubernetesVersion: kubernetesVersion.replace(/^v/, ""),
        prometheusScrapeInterval: 30,
      },
      internal: { modules: { kubeRBACProxyCA: { cert: caPem } } },
    },
  };
}

/**
 * Writes the modules directory's values.yaml, the values addon-operator gives every module before
 * its own: the `global` values of a Deckhouse cluster (with the box's CA) and the module off
 * unless the operator ConfigMap (written from the ModuleConfig) enables it.
 */
export async function writeModulesValues(
  layout: WorldLayout,
  kubernetesVersion: string,
  images?: ModuleImages,
): Promise<void> {
  const caPem = await readFile(pkiFiles(stateLayout(layout.stateDir).pkiDir).caCert, "utf8");
  await mkdir(layout.modulesDir, { recursive: true });
  await writeFile(
    join(layout.modulesDir, "values.yaml"),
    stringify({
      ...globalValues(caPem, kubernetesVersion, images),
      [`${camelCaseName(MODULE_NAME)}Enabled`]: false,
    }),
  );
}
