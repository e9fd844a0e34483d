// Entry of the ModuleConfig bridge daemon (bundled to build/cluster/moduleconfig-bridge.mjs): the
// one part of the deckhouse-controller the cluster in a box needs on top of the real
// addon-operator. It follows the module's ModuleConfig and writes the accepted settings and enable
// flag into the operator ConfigMap, which addon-operator reads (module-config-bridge.ts).
// Configured with addon-operator's variable names where they mean the same thing:
//   KUBECONFIG                  credentials (the operator's ServiceAccount token)
//   MODULES_DIR                 directory holding <NNN>-<module>/ (exactly one module)
//   ADDON_OPERATOR_NAMESPACE    namespace of the operator ConfigMap (default d8-system)
//   ADDON_OPERATOR_CONFIG_MAP   its name (default addon-operator)
//   LOG_LEVEL                   debug, info, warn, error
// and --state-dir=<dir>/ (a marker for process checks).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { describeError, KubeRest } from "swh-kube-client";
import { createLogger, parseLogLevel } from "../../../images/agent/src/log.js";
import { Discovery } from "../discovery.js";
import { ModuleConfigBridge } from "./module-config-bridge.js";

/** The module directory in MODULES_DIR and its name (the part after `NNN-`). */
export function findModule(modulesDir: string): { dir: string; name: string } {
  const found = readdirSync(modulesDir, { withFileTypes: true })
    .filter(e => e.isDirectory() && /^\d+-[a-z0-9-]+$/.test(e.name))
    .map(e => ({ dir: join(modulesDir, e.name), name: e.name.replace(/^\d+-/, "") }));
  if (found.length !== 1 || !found[0]) {
    throw new Error(
      `MODULES_DIR ${modulesDir} must hold exactly one <NNN>-<name> module, found ${found.length}`,
    );
  }
  return found[0];
}

function env(name: string, fallback?: string): string {
  const value = process.env[name];
  if (value !== undefined && value !== "") return value;
  if (fallback === undefined) throw new Error(`${name} must be set`);
  return fallback;
}

async function main(): Promise<void> {
  const log = createLogger({ level: parseLogLevel(env("LOG_LEVEL", "info")) ?? "info" });
  const kc = new KubeConfig();
  kc.loadFromFile(env("KUBECONFIG"));
  const rest = new KubeRest(kc, { userAgent: "deckhouse-controller-bridge", timeoutMs: 30_000 });
  const module = findModule(env("MODULES_DIR"));
  const bridge = new ModuleConfigBridge({
    rest,
    discovery: new Discovery(rest),
    log: log.child({ component: "deckhouse-controller" }),
    moduleName: module.name,
    moduleDir: module.dir,
    configMap: {
      namespace: env("ADDON_OPERATOR_NAMESPACE", "d8-system"),
      name: env("ADDON_OPERATOR_CONFIG_MAP", "addon-operator"),
    },
  });
  // The client's retry timers never keep a process up (they are unref'd), and while the API
  // server is down the bridge has no open connection either: without this it would exit, silently
  // and with status 0, at the first outage. The agent is kept up by its HTTP server.
  const keepAlive = setInterval(() => undefined, 60_000);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    clearInterval(keepAlive);
    log.info("stopping", { signal });
    void bridge.stop().finally(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  await bridge.start();
  log.info("ModuleConfig bridge running", { module: module.name });
}

main().catch((err: unknown) => {
  process.stderr.write(`moduleconfig-bridge: ${describeError(err)}\n`);
  process.exit(1);
});
