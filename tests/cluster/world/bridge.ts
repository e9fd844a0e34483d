// Starts the ModuleConfig bridge daemon (build/cluster/moduleconfig-bridge.mjs, deckhouse/): the
// deckhouse-controller's part that turns the module's ModuleConfig into the operator ConfigMap
// addon-operator reads. It runs with the operator's own credentials, as Deckhouse's controller
// and operator are one process.
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { issueToken } from "../../testenv/client.js";
import { isOurProcess, logTail, startWorldDaemon } from "../daemons.js";
import { nodeBinary, type WorldLayout } from "../layout.js";
import type { DaemonRecord } from "../state.js";
import { OPERATOR_CONFIG_MAP, OPERATOR_NAMESPACE, OPERATOR_SERVICE_ACCOUNT } from "./operator.js";

/** Starts the bridge; resolves once it logged that it follows the ModuleConfig. */
export async function startBridge(
  layout: WorldLayout,
  opts: { readonly bundle: string; readonly logLevel: string },
): Promise<DaemonRecord> {
  const token = await issueToken(OPERATOR_NAMESPACE, OPERATOR_SERVICE_ACCOUNT, {
    stateDir: layout.stateDir,
    create: false,
    expirationSeconds: 30 * 86_400,
  });
  const logFile = join(layout.logDir, "moduleconfig-bridge.log");
  const pid = startWorldDaemon({
    command: nodeBinary(),
    args: ["--enable-source-maps", opts.bundle, `--state-dir=${layout.marker}`],
    env: {
      KUBECONFIG: token.kubeconfigPath,
      MODULES_DIR: layout.modulesDir,
      ADDON_OPERATOR_NAMESPACE: OPERATOR_NAMESPACE,
      ADDON_OPERATOR_CONFIG_MAP: OPERATOR_CONFIG_MAP,
      LOG_LEVEL: opts.logLevel,
    },
    logFile,
  });
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, layout.marker)) {
      throw new Error(`the ModuleConfig bridge exited; log tail:\n${logTail(logFile, 30)}`);
    }
    if (logTail(logFile, 50).includes("ModuleConfig bridge running")) return { pid, logFile };
    await sleep(200);
  }
  throw new Error(
    `the ModuleConfig bridge did not start in 90 s; log tail:\n${logTail(logFile, 30)}`,
  );
}
