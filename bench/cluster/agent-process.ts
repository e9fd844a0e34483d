// The cluster benchmark's own agent: the real agent (instrumented to print threshold crossings,
// agent-entry.ts) as a process serving the hollow node, with the arguments of the DaemonSet the
// module's chart rendered (so the module's settings apply), a token of the chart's own `agent`
// ServiceAccount (so the RBAC is the module's), and health and metrics on loopback ports.
import { AGENT_SERVICE_ACCOUNT, MODULE_NAMESPACE } from "../../api/contract.js";
import type { KubeRest } from "swh-kube-client";
import { issueToken } from "../../tests/testenv/client.js";
import { agentDaemonSet, agentDaemonSetView } from "../../tests/cluster/world/agent-daemonset.js";

/** Flags set here; the chart's values for them are replaced. */
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

/** The agent container's arguments in the DaemonSet the chart rendered. */
export async function chartAgentArgs(rest: KubeRest): Promise<readonly string[]> {
  const ds = await agentDaemonSet(rest);
  if (!ds) throw new Error("the module's agent DaemonSet does not exist");
  return agentDaemonSetView(ds).args;
}

/** A kubeconfig with a fresh token of the module's agent ServiceAccount (created by the chart). */
export async function agentKubeconfig(stateDir: string): Promise<string> {
  const issued = await issueToken(MODULE_NAMESPACE, AGENT_SERVICE_ACCOUNT, {
    stateDir,
    create: false,
    expirationSeconds: 30 * 86_400,
  });
  return issued.kubeconfigPath;
}
