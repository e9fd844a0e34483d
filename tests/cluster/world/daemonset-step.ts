// What the agent DaemonSet's rollout stand-in does to processes, one step at a time: look at the
// recorded agents (process alive? /readyz?), pick the nodes that want one (the pod template's
// nodeSelector against the Node objects' labels), and carry out a planned step — stop agents
// gracefully (SIGTERM, SIGKILL after the pod's terminationGracePeriodSeconds), start agents from
// the current template — recording each change in world.json as soon as it happens, so a crash
// halfway never leaves an agent nobody knows about. Runs under the world lock (the caller's).
import type { KubeRest } from "swh-kube-client";
import { isOurProcess } from "../daemons.js";
import { getOrUndefined } from "../kube.js";
import type { WorldLayout } from "../layout.js";
import { writeWorldState, type AgentRecord, type NodeRecord, type WorldState } from "../state.js";
import { agentReady, startAgent, stopAgent } from "./agents.js";
import {
  nodeMatches,
  type AgentView,
  type DaemonSetView,
  type RolloutStep,
} from "./daemonset-plan.js";

/** Looks at every recorded agent: is its process ours and alive, does /readyz answer 200. */
export function observeAgents(state: WorldState, marker: string): Promise<AgentView[]> {
  return Promise.all(
    Object.values(state.agents).map(async a => {
      const alive = isOurProcess(a.pid, marker);
      return {
        node: a.node,
        templateHash: a.templateHash,
        alive,
        ready: alive && (await agentReady(a)),
      };
    }),
  );
}

/**
 * The world's nodes that want an agent: all of them without a nodeSelector (the chart's
 * default), otherwise those whose Node labels match it. Only the world's own nodes count: a node
 * someone else added (the benchmark's) runs an agent of its own.
 */
export async function desiredNodes(
  rest: KubeRest,
  view: Pick<DaemonSetView, "nodeSelector">,
  nodes: readonly NodeRecord[],
): Promise<string[]> {
  if (Object.keys(view.nodeSelector).length === 0) return nodes.map(n => n.name);
  const wanted: string[] = [];
  for (const node of nodes) {
    const obj = await getOrUndefined<{ metadata?: { labels?: Record<string, string> } }>(
      rest,
      `/api/v1/nodes/${node.name}`,
    );
    if (obj && nodeMatches(view.nodeSelector, obj.metadata?.labels ?? {})) wanted.push(node.name);
  }
  return wanted;
}

/** What executing a step needs. */
export interface StepContext {
  readonly layout: WorldLayout;
  readonly agentBundle: string;
  /** A kubeconfig with the agent ServiceAccount's token (issued once, lazily). */
  readonly kubeconfig: () => Promise<string>;
  readonly log: (msg: string, fields: Record<string, unknown>) => void;
}

/**
 * Carries out `step` on `state` (removals, then replacements, then creations) and returns the
 * new state and the agents it started (not yet ready). world.json is written after every change.
 */
export async function executeStep(
  ctx: StepContext,
  state: WorldState,
  step: RolloutStep,
  view: DaemonSetView,
): Promise<{ state: WorldState; started: AgentRecord[] }> {
  const agents: Record<string, AgentRecord> = { ...state.agents };
  const save = async (): Promise<void> =>
    writeWorldState(ctx.layout.stateFile, { ...state, agents: { ...agents } });
  const stop = async (node: string, why: string): Promise<void> => {
    const current = agents[node];
    if (!current) return;
    ctx.log(`stopping the agent of ${node}`, { why, pid: current.pid });
    await stopAgent(current, ctx.layout.marker, "SIGTERM", view.terminationGraceMs);
  };
  for (const node of step.remove) {
    await stop(node, "the node no longer wants an agent");
    delete agents[node];
    await save();
  }
  const started: AgentRecord[] = [];
  const start = async (node: string): Promise<void> => {
    const record = await startAgent({ layout: ctx.layout }, node, {
      agentBundle: ctx.agentBundle,
      kubeconfig: await ctx.kubeconfig(),
      chartArgs: view.args,
      templateHash: view.templateHash,
    });
    ctx.log(`started the agent of ${node}`, { pid: record.pid, templateHash: view.templateHash });
    agents[node] = record;
    started.push(record);
    await save();
  };
  for (const node of step.replace) {
    await stop(node, `out of date (template ${agents[node]?.templateHash ?? "unknown"})`);
    await start(node);
  }
  for (const node of step.create) await start(node);
  return { state: { ...state, agents }, started };
}
