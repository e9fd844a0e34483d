// Fencing that survives an API server outage. While the API server is away no agent can renew
// its Lease, and the operator's watches deliver nothing, so every Lease the fencing hook sees
// expires although every agent is alive and probing. Two moments would then fence healthy
// endpoints (both seen in tests/e2e/scenarios/apiserver-outage.test.ts):
//
// - during the outage, when the hook runs on the frozen snapshot: its fencing patches wait on
//   the connection and are applied the instant the API server answers again. The Leases do not
//   all expire at the same instant (each agent last renewed at its own moment, up to one renew
//   interval apart), so a run can see some expired and one not yet;
// - right after it, while the agents' renewals come in one by one (each within its renew
//   interval, which may be a Lease duration's quarter): a node whose renewal has not arrived yet
//   looks dead next to the ones that have.
//
// Two rules, on Lease data alone (hooks keep no memory between runs), tell these apart from dead
// agents.
//
// - Silence everywhere suspends fencing. A live agent renews at least every half Lease duration
//   (the settings refuse a longer renew interval), so while some agent is alive, some Lease was
//   renewed within the last half of its duration. When none was (two Leases at least), the
//   silence is the control plane's, or the operator's view of it, not the nodes'; fencing is
//   suspended, as kube-controller-manager stops evicting in a full disruption. "Expired" would be
//   too late a test: by the time the first Lease expires, the freshest renewal is already at
//   least half a duration old (duration minus one renew interval), so the half mark always comes
//   first. A live agent looks silent at most for the moment a renewal takes to arrive, and only
//   at the longest renew interval allowed; all live agents at that same moment only delay
//   fencing by one run.
// - A comeback gives the others time. When an agent has re-acquired its Lease (the agent resets
//   `acquireTime` when it renews a Lease that had expired) after another node's Lease ran out,
//   that node gets one Lease duration from the re-acquisition to renew too. A node that really
//   died during an outage is fenced that much later.

import type { AgentHeartbeat } from "./lib/agent-objects.js";

/** What the fencing planner should use. */
export interface OutageAwareExpiry {
  /** Per `nodeLabelValue(node)`: when its agent counts as dead (epoch ms). */
  readonly expiry: ReadonlyMap<string, number>;
  /** True when none of at least two agent Leases was renewed in its last half duration. */
  readonly suspended: boolean;
  /** Nodes whose expired Lease is extended because another agent just came back. */
  readonly graced: readonly string[];
}

/**
 * Per-node agent expiry with the two outage rules applied (see file header): `suspended` when
 * no Lease (of two at least) was renewed within the last half of its duration; otherwise a node
 * whose Lease expired before some live agent (re-)acquired its own expires one Lease duration
 * after the latest such acquisition.
 */
export function outageAwareExpiry(
  byNode: ReadonlyMap<string, AgentHeartbeat>,
  nowMs: number,
): OutageAwareExpiry {
  const heartbeats = [...byNode.values()];
  const live = heartbeats.filter(l => l.expiresAtMs >= nowMs);
  const suspended = byNode.size >= 2 && !heartbeats.some(l => renewedInLastHalf(l, nowMs));
  // The latest (re-)acquisition by a live agent: any node expired before it gets the grace.
  let latestComeback = Number.NEGATIVE_INFINITY;
  for (const { acquiredAtMs } of live) {
    if (acquiredAtMs !== undefined && acquiredAtMs <= nowMs) {
      latestComeback = Math.max(latestComeback, acquiredAtMs);
    }
  }
  const expiry = new Map<string, number>();
  const graced: string[] = [];
  for (const [node, heartbeat] of byNode) {
    const { expiresAtMs, durationMs } = heartbeat;
    const until = latestComeback > expiresAtMs ? latestComeback + durationMs : expiresAtMs;
    if (until > expiresAtMs && until >= nowMs) graced.push(node);
    expiry.set(node, until);
  }
  return { expiry, suspended, graced: graced.sort() };
}

/** Whether the Lease was renewed within the last half of its duration before `nowMs`. */
function renewedInLastHalf({ expiresAtMs, durationMs }: AgentHeartbeat, nowMs: number): boolean {
  return expiresAtMs - durationMs / 2 >= nowMs;
}
