// Waiting for the agent DaemonSet to be rolled out, the way `kubectl rollout status daemonset`
// waits (its status says the current generation was observed and every desired agent is updated
// and available), plus what only the box can check: world.json records an agent from the current
// template, alive, for each of them. Used by worldUp and by the scenarios.
import { setTimeout as sleep } from "node:timers/promises";
import { hasExited, isOurProcess, logTail } from "../daemons.js";
import { readWorldState, type WorldState } from "../state.js";
import { agentDaemonSet } from "./agents.js";
import {
  daemonSetView,
  rolloutStatus,
  type DaemonSetJson,
  type DaemonSetView,
} from "./daemonset-plan.js";
import type { World } from "./handle.js";

/** A finished rollout. */
export interface RolledOut {
  readonly ds: DaemonSetJson;
  readonly view: DaemonSetView;
  /** world.json once the rollout finished. */
  readonly state: WorldState;
}

/** Agents recorded from the current template whose process runs. */
function currentAgents(state: WorldState, view: DaemonSetView, marker: string): number {
  return Object.values(state.agents).filter(
    a => a.templateHash === view.templateHash && isOurProcess(a.pid, marker),
  ).length;
}

/**
 * Agents recorded from the current template whose process is gone, with their log tails: no
 * kubelet restarts them, so a rollout waiting for them would only time out at n-1 of n.
 */
function deadAgents(state: WorldState, view: DaemonSetView): string[] {
  return Object.values(state.agents)
    .filter(a => a.templateHash === view.templateHash && a.readyAt === undefined)
    .filter(a => hasExited(a.pid))
    .map(a => `agent ${a.node} (pid ${a.pid}) exited; log tail:\n${logTail(a.logFile, 20)}`);
}

/**
 * Waits until the agent DaemonSet of at least `minGeneration` is rolled out (see file header);
 * throws at once, with the log, when an agent started for the rollout died before it was ready,
 * and after `timeoutMs` with kubectl's last message.
 */
export async function waitRolledOut(
  world: Pick<World, "rest" | "layout">,
  opts: { readonly minGeneration?: number; readonly timeoutMs?: number } = {},
): Promise<RolledOut> {
  const timeoutMs = opts.timeoutMs ?? 240_000;
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const ds = await agentDaemonSet(world.rest).catch((err: unknown) => {
      last = `reading the DaemonSet failed: ${String(err)}`;
      return undefined;
    });
    if (ds) {
      const view = daemonSetView(ds);
      const status = rolloutStatus(ds);
      const state = await readWorldState(world.layout.stateFile);
      const desired = ds.status?.desiredNumberScheduled ?? 0;
      const running = state ? currentAgents(state, view, world.layout.marker) : 0;
      last = `generation ${view.generation}: ${status.message}; ${running}/${desired} agents from template ${view.templateHash} running`;
      const dead = state ? deadAgents(state, view) : [];
      if (dead.length > 0) {
        throw new Error(`the agent DaemonSet cannot roll out: ${dead.join("\n")}`);
      }
      if (
        status.done &&
        view.generation >= (opts.minGeneration ?? 0) &&
        running >= desired &&
        state
      )
        return { ds, view, state };
    } else if (!last) last = "no agent DaemonSet";
    if (Date.now() >= deadline) {
      throw new Error(`the agent DaemonSet was not rolled out in ${timeoutMs} ms: ${last}`);
    }
    await sleep(250);
  }
}
