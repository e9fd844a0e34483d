// Starts the operator stand-in (build/cluster/operator.mjs) as Deckhouse runs its operator: with
// its own ServiceAccount token (d8-system/deckhouse, bound to cluster-admin as Deckhouse's is),
// MODULES_DIR pointing at the staged module, the operator ConfigMap d8-system/addon-operator,
// the `global` values file, helm and jq. Its /healthz, /readyz, /status and /metrics listen on a
// loopback port of its own.
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import type { KubeRest } from "../../../images/agent/src/kube/rest.js";
import { issueToken } from "../../testenv/client.js";
import { pickFreePorts } from "../../testenv/ports.js";
import { isOurProcess, logTail, startWorldDaemon } from "../daemons.js";
import { apply } from "../kube.js";
import { nodeBinary, type WorldLayout } from "../layout.js";
import type { OperatorRecord } from "../state.js";

/** Namespace of the operator and its ConfigMap (Deckhouse's). */
export const OPERATOR_NAMESPACE = "d8-system";
/** The operator's ServiceAccount. */
export const OPERATOR_SERVICE_ACCOUNT = "deckhouse";
/** The operator ConfigMap (addon-operator's default name). */
export const OPERATOR_CONFIG_MAP = "addon-operator";

/** Creates d8-system, the operator's ServiceAccount and its cluster-admin binding. */
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
}

/** Starts the operator stand-in; resolves once its /healthz answers. */
export async function startOperator(
  layout: WorldLayout,
  opts: { readonly bundle: string; readonly helm: string; readonly logLevel: string },
): Promise<OperatorRecord> {
  const token = await issueToken(OPERATOR_NAMESPACE, OPERATOR_SERVICE_ACCOUNT, {
    stateDir: layout.stateDir,
    create: false,
    expirationSeconds: 30 * 86_400,
  });
  const [port] = await pickFreePorts(1);
  if (!port) throw new Error("no free loopback port for the operator");
  const logFile = join(layout.logDir, "operator.log");
  const pid = startWorldDaemon({
    command: nodeBinary(),
    args: [
      "--enable-source-maps",
      "--disable-warning=DEP0040",
      "--disable-warning=DEP0169",
      opts.bundle,
      `--state-dir=${layout.marker}`,
    ],
    env: {
      KUBECONFIG: token.kubeconfigPath,
      MODULES_DIR: layout.modulesDir,
      ADDON_OPERATOR_NAMESPACE: OPERATOR_NAMESPACE,
      ADDON_OPERATOR_CONFIG_MAP: OPERATOR_CONFIG_MAP,
      ADDON_OPERATOR_LISTEN_ADDRESS: "127.0.0.1",
      ADDON_OPERATOR_LISTEN_PORT: String(port),
      SWH_GLOBAL_VALUES: layout.globalValuesFile,
      SWH_HELM: opts.helm,
      SWH_JQ: "jq",
      TMP_DIR: layout.tmpDir,
      LOG_LEVEL: opts.logLevel,
    },
    logFile,
  });
  const record = { pid, logFile, port };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, layout.marker)) {
      throw new Error(`the operator exited; log tail:\n${logTail(logFile, 30)}`);
    }
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`, {
      signal: AbortSignal.timeout(1_000),
    })
      .then(r => r.ok)
      .catch(() => false);
    if (ok) return record;
    await sleep(200);
  }
  throw new Error(
    `the operator did not serve /healthz in 60 s; log tail:\n${logTail(logFile, 30)}`,
  );
}

/** The operator's /status (enabled, converged, last error...); undefined when unreachable. */
export async function operatorStatus(
  record: OperatorRecord,
): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${record.port}/status`, {
      signal: AbortSignal.timeout(2_000),
    });
    return (await res.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
