// Where the cluster in a box keeps things: the tool cache (binaries built once per version,
// shared by every state dir) and one state dir per running box (certs, data, logs, pids). All
// paths are derived here so the CLI, the library and the jest setup agree on them.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The Go tools the box runs, by binary name (the last five only for real nodes). */
export type ToolName =
  | "etcd"
  | "kube-apiserver"
  | "kube-controller-manager"
  | "kube-scheduler"
  | "kubelet"
  | "kube-proxy"
  | "cni-plugins"
  | "coredns";

/** Pinned tool versions, read from `versions.env` next to this file. */
export interface ToolVersions {
  /** etcd server tag, e.g. `v3.6.16`. */
  readonly etcd: string;
  /** Kubernetes tag shared by every Kubernetes component, e.g. `v1.34.10`. */
  readonly kubernetes: string;
  /** containernetworking/plugins tag of the nodes' CNI plugins, e.g. `v1.10.0`. */
  readonly cniPlugins: string;
  /** CoreDNS tag of the nodes' cluster DNS, e.g. `v1.12.4`. */
  readonly coredns: string;
}

/** Directory holding this file (and `versions.env`, `build-tools.sh`). */
export function testenvSourceDir(): string {
  // Bundled by esbuild into build/testenv/cli.mjs, import.meta.url points there; the recipes stay
  // in the repository, so resolve from the repository root in that case.
  const here = dirname(fileURLToPath(import.meta.url));
  if (here.endsWith(join("build", "testenv"))) return join(here, "..", "..", "tests", "testenv");
  return here;
}

/** Parses `KEY=VALUE` lines, ignoring blank lines and `#` comments. */
export function parseEnvFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`versions.env: malformed line ${JSON.stringify(raw)}`);
    out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

/** Reads the pinned versions from `versions.env`. */
export function toolVersions(sourceDir = testenvSourceDir()): ToolVersions {
  const file = join(sourceDir, "versions.env");
  const env = parseEnvFile(readFileSync(file, "utf8"));
  const etcd = env.get("ETCD_VERSION");
  const kubernetes = env.get("KUBERNETES_VERSION");
  const cniPlugins = env.get("CNI_PLUGINS_VERSION");
  const coredns = env.get("COREDNS_VERSION");
  if (!etcd || !kubernetes || !cniPlugins || !coredns) {
    throw new Error(
      `${file} must set ETCD_VERSION, KUBERNETES_VERSION, CNI_PLUGINS_VERSION and COREDNS_VERSION`,
    );
  }
  return { etcd, kubernetes, cniPlugins, coredns };
}

/** Tool cache root: `$SWH_TESTENV_CACHE` or `~/.cache/swh-testenv`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SWH_TESTENV_CACHE || join(homedir(), ".cache", "swh-testenv");
}

/** Default state dir: `$SWH_TESTENV_DIR` or `<cache>/run/default`. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SWH_TESTENV_DIR || join(cacheDir(env), "run", "default");
}

/**
 * Path of a tool's binary in the cache (`bin/<tool>-<version>`); for `cni-plugins`, the directory
 * holding the plugins.
 */
export function toolBinary(tool: ToolName, versions: ToolVersions, cache = cacheDir()): string {
  const special: Partial<Record<ToolName, string>> = {
    etcd: versions.etcd,
    "cni-plugins": versions.cniPlugins,
    coredns: versions.coredns,
  };
  const version = special[tool] ?? versions.kubernetes;
  return join(cache, "bin", `${tool}-${version}`);
}

/** Every file and directory of one state dir. */
export interface StateLayout {
  /** The state dir itself. */
  readonly root: string;
  /** `state.json`: ports, pids, options of the running box. */
  readonly stateFile: string;
  /** Held while `up`/`down` change the box. */
  readonly lockFile: string;
  /** Certificates and keys (kept across `down`, removed by `--purge`). */
  readonly pkiDir: string;
  /** etcd data dir. */
  readonly etcdDataDir: string;
  /** One log file per process, plus the audit log. */
  readonly logDir: string;
  /** Admin kubeconfig (O=system:masters client certificate). */
  readonly adminKubeconfig: string;
  /** kube-controller-manager's own kubeconfig (CN=system:kube-controller-manager). */
  readonly controllerManagerKubeconfig: string;
  /** ServiceAccount kubeconfigs written by `issueToken`. */
  readonly tokenDir: string;
  /** Audit policy used when the box runs with `audit`. */
  readonly auditPolicyFile: string;
  /** Audit log (JSON lines) when the box runs with `audit`. */
  readonly auditLogFile: string;
  /** Serving certificates kube-controller-manager generates for itself. */
  readonly controllerManagerCertDir: string;
}

/** Derives the layout of a state dir. */
export function stateLayout(root: string): StateLayout {
  return {
    root,
    stateFile: join(root, "state.json"),
    lockFile: join(root, "lock"),
    pkiDir: join(root, "pki"),
    etcdDataDir: join(root, "etcd-data"),
    logDir: join(root, "logs"),
    adminKubeconfig: join(root, "admin.kubeconfig"),
    controllerManagerKubeconfig: join(root, "kube-controller-manager.kubeconfig"),
    tokenDir: join(root, "tokens"),
    auditPolicyFile: join(root, "audit-policy.yaml"),
    auditLogFile: join(root, "logs", "audit.log"),
    controllerManagerCertDir: join(root, "kcm-certs"),
  };
}
