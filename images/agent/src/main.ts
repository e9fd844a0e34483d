// Entry point of the node agent (bundled to build/agent/agent.mjs). Parses the configuration
// (exit 2 with a clear message when it is wrong), connects to the API server, serves /healthz,
// /readyz and /metrics, and runs the agent until SIGTERM/SIGINT. The first signal stops probing
// and leaves the published slices and the Lease as they are (see agent.ts and lease.ts for why);
// a second signal exits at once. Unhandled promise rejections are logged and counted, not fatal:
// every code path already handles its errors, and a crash would only restart probing from scratch.

import { KubeConfig } from "@kubernetes/client-node";
import { createAgent } from "./create-agent.js";
import { parseConfig, type AgentConfig } from "./config.js";
import { describeError, KubeRest } from "swh-kube-client";
import { createLogger, type Logger } from "./log.js";
import { AgentMetrics } from "./metrics.js";
import { startOpsServer } from "./server.js";

/** Exit code for configuration errors. */
const EXIT_CONFIG = 2;

function loadKubeConfig(config: AgentConfig, env: NodeJS.ProcessEnv): KubeConfig {
  const kc = new KubeConfig();
  if (config.kubeconfig) {
    kc.loadFromFile(config.kubeconfig);
  } else if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) {
    kc.loadFromCluster();
  } else {
    throw new Error(
      "no --kubeconfig given and not running in a cluster ($KUBERNETES_SERVICE_HOST unset)",
    );
  }
  if (!kc.getCurrentCluster()) throw new Error("the kubeconfig has no current cluster");
  return kc;
}

function installSignalHandlers(log: Logger, shutdown: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn("second signal; exiting immediately", { signal });
      process.exit(1);
    }
    stopping = true;
    log.info("stopping: probing ends, slices and Lease are left as they are", { signal });
    shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error("shutdown failed", { error: describeError(err) });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

function installCrashHandlers(log: Logger, metrics: AgentMetrics): void {
  process.on("unhandledRejection", reason => {
    metrics.unhandled.inc();
    log.error("unhandled promise rejection (continuing)", { error: describeError(reason) });
  });
  process.on("uncaughtException", err => {
    log.error("uncaught exception; exiting", { error: describeError(err), stack: err.stack });
    process.exit(1);
  });
}

/** Runs the agent; resolves with an exit code only for early exits (help, bad config). */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<number | undefined> {
  const parsed = parseConfig(argv, env);
  if (parsed.kind === "help") {
    process.stdout.write(parsed.text);
    return 0;
  }
  if (parsed.kind === "error") {
    process.stderr.write(
      `agent: invalid configuration:\n${parsed.errors.map(e => `  ${e}`).join("\n")}\nRun with --help for the list of flags.\n`,
    );
    return EXIT_CONFIG;
  }
  const config = parsed.config;
  const log = createLogger({ level: config.logLevel, fields: { node: config.nodeName } });
  let kc: KubeConfig;
  try {
    kc = loadKubeConfig(config, env);
  } catch (err) {
    process.stderr.write(`agent: cannot load Kubernetes credentials: ${describeError(err)}\n`);
    return EXIT_CONFIG;
  }
  const metrics = new AgentMetrics();
  metrics.concurrencyLimit.set(config.maxConcurrentProbes);
  installCrashHandlers(log, metrics);
  const rest = new KubeRest(kc, {
    observer: metrics.apiObserver(),
    userAgent: `swh-agent/${config.nodeName}`,
  });
  const agent = createAgent(config, { rest, log, metrics });
  const server = await startOpsServer(
    { readiness: () => agent.readiness(), metrics: () => metrics.render() },
    config.healthBind,
    config.metricsBind,
  );
  log.info("agent starting", {
    server: rest.server,
    namespace: config.namespace,
    listen: server.addresses.map(a => `${a.address}:${a.port}`),
    // The settings in force, so a rollout of new module settings can be checked in the logs.
    maxConcurrentProbes: config.maxConcurrentProbes,
    leaseDurationMs: config.leaseDurationMs,
    leaseRenewIntervalMs: config.leaseRenewIntervalMs,
    logLevel: config.logLevel,
    verboseStatus: config.verboseStatus,
  });
  installSignalHandlers(log, async () => {
    await agent.stop();
    await server.close();
    rest.close();
  });
  await agent.start();
  return undefined;
}

main(process.argv.slice(2), process.env).then(
  code => {
    if (code !== undefined) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`agent: fatal: ${describeError(err)}\n`);
    process.exit(1);
  },
);
