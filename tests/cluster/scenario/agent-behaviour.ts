// What a scenario can observe of the running agents, beyond their arguments: the heartbeat Lease
// each one renews (its duration, and the spacing of successive renewals), the lines each agent pod
// logged (JSON, with time and level, read through the API server), its metrics (through its
// kube-rbac-proxy, which authenticates and authorises the scraper), and the message the
// ModuleConfig bridge left on the module's ModuleConfig. Used to show that a settings change
// changed what the agents do, not only how they were started.
import { setTimeout as sleep } from "node:timers/promises";
import { MODULE_NAME, MODULE_NAMESPACE, leaseNameForNode } from "../../../api/contract.js";
import type { RawLease } from "swh-kube-client";
import { getOrUndefined } from "../kube.js";
import type { World } from "../world/handle.js";
import { adminGetText } from "./admin-https.js";
import type { DaemonSetPod } from "./agent-daemonset.js";

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
 * The JSON lines the agent container of `pod` logged, stamped at or after `sinceMs` (lines that
 * are not JSON are skipped).
 */
export async function agentLogLines(
  world: World,
  pod: Pick<DaemonSetPod, "name">,
  sinceMs: number,
): Promise<AgentLogLine[]> {
  // sinceTime has a precision of seconds: ask from the second before, filter on each line's time.
  const since = new Date(Math.floor(sinceMs / 1000) * 1000 - 1000).toISOString();
  const url = new URL(
    `/api/v1/namespaces/${MODULE_NAMESPACE}/pods/${pod.name}/log`,
    world.rest.server,
  );
  url.search = new URLSearchParams({ container: "agent", sinceTime: since }).toString();
  const text = await adminGetText(world.layout.stateDir, url.toString());
  const lines: AgentLogLine[] = [];
  for (const raw of text.split("\n")) {
    if (!raw.startsWith("{")) continue;
    try {
      const line = JSON.parse(raw) as AgentLogLine;
      if (Date.parse(line.time) >= sinceMs) lines.push(line);
    } catch {
      // not a log record
    }
  }
  return lines;
}

/**
 * The agent's metrics (Prometheus text) of `pod`, scraped through its kube-rbac-proxy with the
 * box's admin certificate (the proxy trusts the box's CA and asks the API server for access).
 */
export function agentMetricsText(
  world: World,
  pod: Pick<DaemonSetPod, "ip" | "metricsPort">,
): Promise<string> {
  const host = pod.ip.includes(":") ? `[${pod.ip}]` : pod.ip;
  return adminGetText(world.layout.stateDir, `https://${host}:${pod.metricsPort}/metrics`, {
    verifyServer: false,
  });
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
