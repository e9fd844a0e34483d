// What a scenario can observe of the running agents, beyond their arguments: the heartbeat Lease
// each one renews (its duration, and the spacing of successive renewals), the lines each one
// logged (JSON, with time and level), the command line of its process, and the message the
// ModuleConfig bridge left on the module's ModuleConfig. Used to show that a settings change
// changed what the agents do, not only how they were started.
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { MODULE_NAME, MODULE_NAMESPACE, leaseNameForNode } from "../../../api/contract.js";
import type { RawLease } from "swh-kube-client";
import { getOrUndefined } from "../kube.js";
import type { World } from "../world/handle.js";

/** The heartbeat Lease of `node`'s agent; undefined when absent. */
export function agentLease(world: World, node: string): Promise<RawLease | undefined> {
  return getOrUndefined<RawLease>(
    world.rest,
    `/apis/coordination.k8s.io/v1/namespaces/${MODULE_NAMESPACE}/leases/${leaseNameForNode(node)}`,
  );
}

/**
 * Collects `count` distinct successive `spec.renewTime` values of `node`'s Lease (polled every
 * 100 ms) and returns the gaps between them in ms. The gaps are the agent's renewal spacing as
 * it stamped it, whatever the polling cadence; a renewal missed by the poll would show as one
 * gap twice as long, never a shorter one.
 */
export async function renewalGaps(
  world: World,
  node: string,
  count: number,
  timeoutMs: number,
): Promise<number[]> {
  const seen: number[] = [];
  const deadline = Date.now() + timeoutMs;
  while (seen.length < count) {
    if (Date.now() >= deadline) {
      throw new Error(
        `saw ${seen.length} of ${count} renewals of ${node}'s Lease in ${timeoutMs} ms`,
      );
    }
    const renew = (await agentLease(world, node))?.spec?.renewTime;
    const at = renew ? Date.parse(renew) : Number.NaN;
    if (!Number.isNaN(at) && at !== seen[seen.length - 1]) seen.push(at);
    await sleep(100);
  }
  return seen.slice(1).map((at, i) => at - (seen[i] ?? at));
}

/** One JSON line an agent logged. */
export interface AgentLogLine {
  readonly time: string;
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/**
 * The JSON lines in an agent log file stamped at or after `sinceMs` (the file is shared by every
 * process that ran on the node, appended to; lines that are not JSON are skipped).
 */
export function agentLogLines(logFile: string, sinceMs: number): AgentLogLine[] {
  const lines: AgentLogLine[] = [];
  for (const text of readFileSync(logFile, "utf8").split("\n")) {
    if (!text.startsWith("{")) continue;
    try {
      const line = JSON.parse(text) as AgentLogLine;
      if (Date.parse(line.time) >= sinceMs) lines.push(line);
    } catch {
      // a partial line being written
    }
  }
  return lines;
}

/** The command line of a running process (empty when it is gone). */
export function processArgs(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** The module's ModuleConfig as the bridge left it: its generation and status message. */
export async function moduleConfigStatus(
  world: World,
): Promise<{ generation: number; message: string; settings: unknown }> {
  const mc = await getOrUndefined<{
    metadata?: { generation?: number };
    spec?: { settings?: unknown };
    status?: { message?: string };
  }>(world.rest, `/apis/deckhouse.io/v1alpha1/moduleconfigs/${MODULE_NAME}`);
  if (!mc) throw new Error(`no ModuleConfig ${MODULE_NAME}`);
  return {
    generation: mc.metadata?.generation ?? 0,
    message: mc.status?.message ?? "",
    settings: mc.spec?.settings,
  };
}
