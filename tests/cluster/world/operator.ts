// Starts the real addon-operator (built by tests/testenv/build-tools.sh, builds.ts) as Deckhouse runs its
// operator: with its own ServiceAccount token (d8-system/deckhouse, bound to cluster-admin as
// Deckhouse's is), the modules directory holding the staged module, the `global` values in the
// modules directory's values.yaml and the module's settings and enable flag in the operator
// ConfigMap d8-system/addon-operator (written by the ModuleConfig bridge, deckhouse/). Its
// /healthz, /readyz, /metrics and /metrics/hooks listen on a loopback port of its own, its debug
// API (queues, modules) on a unix socket.
import { mkdir } from "node:fs/promises";
import { request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import type { KubeRest } from "swh-kube-client";
import { issueToken } from "../../testenv/client.js";
import { allocatePorts } from "../../testenv/port-allocator.js";
import { isOurProcess, logTail, startWorldDaemon } from "../daemons.js";
import { apply, getOrUndefined } from "../kube.js";
import type { WorldLayout } from "../layout.js";
import type { OperatorRecord } from "../state.js";

/** Namespace of the operator and its ConfigMap (Deckhouse's). */
export const OPERATOR_NAMESPACE = "d8-system";
/** The operator's ServiceAccount. */
export const OPERATOR_SERVICE_ACCOUNT = "deckhouse";
/** The operator ConfigMap (addon-operator's default name). */
export const OPERATOR_CONFIG_MAP = "addon-operator";

/**
 * Creates d8-system, the operator's ServiceAccount and its cluster-admin binding, and the operator
 * ConfigMap when absent (addon-operator refuses to start without it; the bridge fills it).
 */
export async function ensureOperatorIdentity(rest: KubeRest): Promise<void> {
  await apply(rest, `/api/v1/namespaces/${OPERATOR_NAMESPACE}`, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: OPERATOR_NAMESPACE, labels: { heritage: "deckhouse" } },
  });
  await apply(
    rest,
    `/api/v1/namespaces/${OPERATOR_NAMESPACE}/serviceaccounts/${OPERATOR_SERVICE_ACCOUNT}`,
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: OPERATOR_SERVICE_ACCOUNT, namespace: OPERATOR_NAMESPACE },
    },
  );
  await apply(rest, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/d8:deckhouse", {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "d8:deckhouse", labels: { heritage: "deckhouse" } },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
    subjects: [
      { kind: "ServiceAccount", name: OPERATOR_SERVICE_ACCOUNT, namespace: OPERATOR_NAMESPACE },
    ],
  });
  const cmPath = `/api/v1/namespaces/${OPERATOR_NAMESPACE}/configmaps/${OPERATOR_CONFIG_MAP}`;
  if (!(await getOrUndefined(rest, cmPath))) {
    await rest.request({
      verb: "create",
      resource: "configmaps",
      path: `/api/v1/namespaces/${OPERATOR_NAMESPACE}/configmaps`,
      body: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: OPERATOR_CONFIG_MAP, namespace: OPERATOR_NAMESPACE },
      },
    });
  }
}

/** Starts addon-operator; resolves once its /healthz answers. */
export async function startOperator(
  layout: WorldLayout,
  opts: {
    readonly binary: string;
    readonly logLevel: string;
    /** Keep every hook run's files (binding contexts, patches) in the tmp dir. */
    readonly keepHookFiles?: boolean;
  },
): Promise<OperatorRecord> {
  const token = await issueToken(OPERATOR_NAMESPACE, OPERATOR_SERVICE_ACCOUNT, {
    stateDir: layout.stateDir,
    create: false,
    expirationSeconds: 30 * 86_400,
  });
  const [port] = await allocatePorts(layout.root, "operator", 1);
  if (!port) throw new Error("no free loopback port for the operator");
  const globalHooksDir = join(layout.root, "global-hooks");
  await mkdir(globalHooksDir, { recursive: true });
  await mkdir(layout.tmpDir, { recursive: true });
  const logFile = join(layout.logDir, "operator.log");
  const debugSocket = join(layout.root, "operator.sock");
  const pid = startWorldDaemon({
    command: opts.binary,
    // --tmp-dir carries the state-dir marker that tells our processes from others.
    args: ["start", `--tmp-dir=${layout.tmpDir}`],
    env: {
      KUBECONFIG: token.kubeconfigPath,
      KUBE_CONFIG: token.kubeconfigPath,
      ADDON_OPERATOR_MODULES_DIR: layout.modulesDir,
      ADDON_OPERATOR_GLOBAL_HOOKS_DIR: globalHooksDir,
      ADDON_OPERATOR_NAMESPACE: OPERATOR_NAMESPACE,
      ADDON_OPERATOR_CONFIG_MAP: OPERATOR_CONFIG_MAP,
      ADDON_OPERATOR_LISTEN_ADDRESS: "127.0.0.1",
      ADDON_OPERATOR_LISTEN_PORT: String(port),
      DEBUG_UNIX_SOCKET: debugSocket,
      LOG_TYPE: "json",
      LOG_LEVEL: opts.logLevel,
      // glog, linked in through a dependency, writes ERROR/WARNING files to os.TempDir(): keep
      // them in the world's own tmp dir (purged with it), not in /tmp.
      TMPDIR: layout.tmpDir,
      ...(opts.keepHookFiles ? { DEBUG_KEEP_TMP_FILES: "true" } : {}),
    },
    logFile,
  });
  const record: OperatorRecord = { pid, logFile, port, debugSocket };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, layout.marker)) {
      throw new Error(`addon-operator exited; log tail:\n${logTail(logFile, 30)}`);
    }
    if ((await operatorGet(record, "/healthz").catch(() => undefined))?.status === 200) {
      return record;
    }
    await sleep(200);
  }
  throw new Error(
    `addon-operator did not serve /healthz in 60 s; log tail:\n${logTail(logFile, 30)}`,
  );
}

/** An HTTP answer: status and body. */
export interface Answer {
  readonly status: number;
  readonly body: string;
}

function get(options: { socketPath?: string; port?: number; path: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ ...options, host: "127.0.0.1", timeout: 5_000 }, res => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${options.path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** GETs `path` of the operator's HTTP port (/healthz, /readyz, /metrics, /metrics/hooks). */
export function operatorGet(record: OperatorRecord, path: string): Promise<Answer> {
  return get({ port: record.port, path });
}

/** GETs `path` of the operator's debug API (/queue/list.json, /module/list.json...). */
export function operatorDebugGet(record: OperatorRecord, path: string): Promise<Answer> {
  return get({ socketPath: record.debugSocket, path });
}
