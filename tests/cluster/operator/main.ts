// Entry of the operator stand-in daemon (bundled to build/cluster/operator.mjs by scripts/demo).
// Why it exists: the Go module proxy answers 403 for github.com/flant/addon-operator and
// github.com/flant/shell-operator (every version), so neither can be built here; this process
// does, for one module, what addon-operator would (see module-operator.ts), plus what the
// deckhouse-controller does for ModuleConfigs (module-config-bridge.ts). It is configured with
// addon-operator's own environment variables where one exists:
//   MODULES_DIR                   directory holding <NNN>-<module>/ (exactly one module)
//   ADDON_OPERATOR_NAMESPACE      namespace of the operator ConfigMap (default d8-system)
//   ADDON_OPERATOR_CONFIG_MAP     its name (default addon-operator)
//   ADDON_OPERATOR_LISTEN_ADDRESS / ADDON_OPERATOR_LISTEN_PORT   /healthz /readyz /status /metrics
//   KUBECONFIG                    credentials (the operator's own ServiceAccount token)
//   LOG_LEVEL                     debug, info, warn, error
// plus SWH_GLOBAL_VALUES (a YAML file with the `global` values Deckhouse would provide),
// SWH_HELM and SWH_JQ (binaries), TMP_DIR, and --state-dir=<dir>/ (a marker for process checks).
import { createServer } from "node:http";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { parse } from "yaml";
import { describeError } from "../../../images/agent/src/kube/errors.js";
import { KubeRest } from "../../../images/agent/src/kube/rest.js";
import { createLogger, parseLogLevel, type Logger } from "../../../images/agent/src/log.js";
import { Discovery } from "./discovery.js";
import { MetricsStore } from "./metrics.js";
import { ModuleConfigBridge } from "./module-config-bridge.js";
import { ModuleOperator } from "./module-operator.js";

/** The module directory in MODULES_DIR and its name (the part after `NNN-`). */
export function findModule(modulesDir: string): { dir: string; name: string } {
  const found = readdirSync(modulesDir, { withFileTypes: true })
    .filter(e => e.isDirectory() && /^\d+-[a-z0-9-]+$/.test(e.name))
    .map(e => ({ dir: join(modulesDir, e.name), name: e.name.replace(/^\d+-/, "") }));
  if (found.length !== 1) {
    throw new Error(
      `MODULES_DIR ${modulesDir} must hold exactly one <NNN>-<name> module, found ${found.length}`,
    );
  }
  return found[0]!;
}

function env(name: string, fallback?: string): string {
  const value = process.env[name];
  if (value !== undefined && value !== "") return value;
  if (fallback === undefined) throw new Error(`${name} must be set`);
  return fallback;
}

function serve(
  log: Logger,
  parts: { operator: ModuleOperator; metrics: MetricsStore },
): ReturnType<typeof createServer> {
  const server = createServer((req, res) => {
    const status = parts.operator.status();
    const reply = (code: number, body: string, type = "text/plain"): void => {
      res.writeHead(code, { "content-type": type }).end(body);
    };
    if (req.url === "/healthz") return reply(200, "ok\n");
    if (req.url === "/readyz") return reply(status.converged ? 200 : 503, JSON.stringify(status));
    if (req.url === "/status") return reply(200, JSON.stringify(status), "application/json");
    if (req.url === "/metrics")
      return reply(200, parts.metrics.render(), "text/plain; version=0.0.4");
    reply(404, "not found\n");
  });
  server.listen(
    Number(env("ADDON_OPERATOR_LISTEN_PORT", "9650")),
    env("ADDON_OPERATOR_LISTEN_ADDRESS", "127.0.0.1"),
    () => log.info("serving /healthz /readyz /status /metrics", { address: server.address() }),
  );
  return server;
}

async function main(): Promise<void> {
  const log = createLogger({ level: parseLogLevel(env("LOG_LEVEL", "info")) ?? "info" });
  const kc = new KubeConfig();
  kc.loadFromFile(env("KUBECONFIG"));
  const rest = new KubeRest(kc, { userAgent: "addon-operator-stand-in", timeoutMs: 30_000 });
  const discovery = new Discovery(rest);
  const metrics = new MetricsStore();
  const module = findModule(env("MODULES_DIR"));
  const moduleYaml = parse(readFileSync(join(module.dir, "module.yaml"), "utf8")) as {
    namespace?: string;
  };
  const configMap = {
    namespace: env("ADDON_OPERATOR_NAMESPACE", "d8-system"),
    name: env("ADDON_OPERATOR_CONFIG_MAP", "addon-operator"),
  };
  const globalFile = process.env.SWH_GLOBAL_VALUES;
  const globalValues = globalFile
    ? ((parse(readFileSync(globalFile, "utf8")) as { global?: Record<string, unknown> }).global ??
      {})
    : {};
  const operator = new ModuleOperator({
    rest,
    discovery,
    log: log.child({ component: "addon-operator" }),
    metrics,
    moduleDir: module.dir,
    moduleName: module.name,
    moduleNamespace: moduleYaml.namespace ?? `d8-${module.name}`,
    hooksExecutable: join(module.dir, "hooks", env("SWH_HOOKS_EXECUTABLE", "swh-hooks")),
    configMap,
    globalValues,
    helm: env("SWH_HELM", "helm"),
    jq: env("SWH_JQ", "jq"),
    tmpDir: env("TMP_DIR", "/tmp"),
  });
  const bridge = new ModuleConfigBridge({
    rest,
    discovery,
    log: log.child({ component: "deckhouse-controller" }),
    moduleName: module.name,
    moduleDir: module.dir,
    configMap,
  });
  const server = serve(log, { operator, metrics });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info("stopping", { signal });
    void Promise.all([bridge.stop(), operator.stop()])
      .then(() => server.close())
      .finally(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  await operator.start();
  await bridge.start();
  log.info("operator stand-in running", { module: module.name, configMap });
}

main().catch((err: unknown) => {
  process.stderr.write(`operator: ${describeError(err)}\n`);
  process.exit(1);
});
