// One agent process per fake node, in the root namespace, as the DaemonSet would run it: the
// arguments come from the DaemonSet the module's chart rendered (so module settings reach the
// agents the way they do in a cluster), the node name and credentials are the pod's — a token of
// the chart's own `agent` ServiceAccount, so the RBAC under test is the module's — and health and
// metrics listen on loopback ports of their own.
import { setTimeout as sleep } from "node:timers/promises";
import { AGENT_SERVICE_ACCOUNT, MODULE_NAMESPACE } from "../../../api/contract.js";
import { issueToken } from "../../testenv/client.js";
import { allocatePorts } from "../../testenv/port-allocator.js";
import { isOurProcess, killDaemon, logTail, startWorldDaemon, stopDaemon } from "../daemons.js";
import { getOrUndefined } from "../kube.js";
import { nodeBinary } from "../layout.js";
import type { AgentRecord } from "../state.js";
import type { World } from "./handle.js";
import type { KubeRest } from "swh-kube-client";
import { join } from "node:path";
import { AGENT_CONTAINER, type DaemonSetJson } from "./daemonset-plan.js";

/** Flags the harness sets itself; the chart's values for them are replaced. */
const OWN_FLAGS = ["node-name", "namespace", "kubeconfig", "health-bind", "metrics-bind"];

/** The agent's command line: the chart's arguments minus OWN_FLAGS, plus ours. */
export function agentArguments(
  chartArgs: readonly string[],
  opts: {
    readonly node: string;
    readonly kubeconfig: string;
    readonly healthPort: number;
    readonly metricsPort: number;
  },
): string[] {
  const kept: string[] = [];
  for (let i = 0; i < chartArgs.length; i++) {
    const arg = chartArgs[i] ?? "";
    const flag = /^--([a-z-]+)(=.*)?$/.exec(arg);
    if (flag && OWN_FLAGS.includes(flag[1] ?? "")) {
      if (flag[2] === undefined) i++; // `--flag value` form: skip the value too
      continue;
    }
    kept.push(arg);
  }
  return [
    ...kept,
    `--node-name=${opts.node}`,
    `--namespace=${MODULE_NAMESPACE}`,
    `--kubeconfig=${opts.kubeconfig}`,
    `--health-bind=127.0.0.1:${opts.healthPort}`,
    `--metrics-bind=127.0.0.1:${opts.metricsPort}`,
  ];
}

/** Name of the agent DaemonSet the chart renders. */
export const AGENT_DAEMONSET = "agent";

/** API path of the agent DaemonSet. */
export const AGENT_DAEMONSET_PATH = `/apis/apps/v1/namespaces/${MODULE_NAMESPACE}/daemonsets/${AGENT_DAEMONSET}`;

/** The agent DaemonSet the chart rendered; undefined when absent. */
export function agentDaemonSet(rest: KubeRest): Promise<DaemonSetJson | undefined> {
  return getOrUndefined<DaemonSetJson>(rest, AGENT_DAEMONSET_PATH);
}

/** The agent container's arguments in the DaemonSet the chart rendered; undefined if absent. */
export async function chartAgentArgs(rest: KubeRest): Promise<string[] | undefined> {
  const ds = await agentDaemonSet(rest);
  const container = ds?.spec?.template?.spec?.containers?.find(c => c.name === AGENT_CONTAINER);
  return container?.args;
}

/** A kubeconfig with a fresh token of the module's agent ServiceAccount (created by the chart). */
export async function agentKubeconfig(world: Pick<World, "layout">): Promise<string> {
  const issued = await issueToken(MODULE_NAMESPACE, AGENT_SERVICE_ACCOUNT, {
    stateDir: world.layout.stateDir,
    create: false,
    expirationSeconds: 30 * 86_400,
  });
  return issued.kubeconfigPath;
}

/** Polls the agent's /readyz until it answers 200 (its informers synced, Lease renewed). */
export async function waitAgentReady(
  record: AgentRecord,
  marker: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (!isOurProcess(record.pid, marker)) {
      throw new Error(`agent ${record.node} exited; log tail:\n${logTail(record.logFile, 30)}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${record.healthPort}/readyz`, {
        signal: AbortSignal.timeout(2_000),
      });
      last = `HTTP ${res.status} ${(await res.text()).slice(0, 200)}`;
      if (res.ok) return;
    } catch (err) {
      last = String(err);
    }
    await sleep(200);
  }
  throw new Error(
    `agent ${record.node} not ready after ${timeoutMs} ms (${last}); log tail:\n${logTail(record.logFile, 30)}`,
  );
}

/** Starts the agent of `node` and returns its record (not yet ready: see waitAgentReady). */
export async function startAgent(
  world: Pick<World, "layout">,
  node: string,
  opts: {
    readonly agentBundle: string;
    readonly kubeconfig: string;
    readonly chartArgs: readonly string[];
    /** Hash of the DaemonSet pod template the arguments come from (daemonset-plan.ts). */
    readonly templateHash: string;
  },
): Promise<AgentRecord> {
  const [healthPort, metricsPort] = await allocatePorts(world.layout.root, `agent-${node}`, 2);
  if (!healthPort || !metricsPort) throw new Error("no free loopback ports for an agent");
  const logFile = join(world.layout.logDir, `agent-${node}.log`);
  const args = agentArguments(opts.chartArgs, {
    node,
    kubeconfig: opts.kubeconfig,
    healthPort,
    metricsPort,
  });
  const pid = startWorldDaemon({
    command: nodeBinary(),
    args: ["--enable-source-maps", opts.agentBundle, ...args],
    env: { KUBECONFIG: opts.kubeconfig, NODE_NAME: node, POD_NAMESPACE: MODULE_NAMESPACE },
    logFile,
  });
  return {
    node,
    pid,
    logFile,
    healthPort,
    metricsPort,
    chartArgs: [...opts.chartArgs],
    templateHash: opts.templateHash,
    startedAt: new Date().toISOString(),
  };
}

/**
 * Stops an agent: gracefully (SIGTERM, as a rollout does; SIGKILL after `graceMs`, the pod's
 * terminationGracePeriodSeconds) or SIGKILL (a crash).
 */
export async function stopAgent(
  record: AgentRecord,
  marker: string,
  how: "SIGTERM" | "SIGKILL",
  graceMs = 15_000,
): Promise<void> {
  if (how === "SIGKILL") await killDaemon(record.pid, marker);
  else await stopDaemon(record.pid, marker, graceMs);
}

/** One look at the agent's /readyz: true on 200 (what the kubelet's readiness probe checks). */
export async function agentReady(record: AgentRecord): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${record.healthPort}/readyz`, {
      signal: AbortSignal.timeout(2_000),
    });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}
