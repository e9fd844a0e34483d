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
// - A comeback vouches for the others' silence. An agent that renews after missing renewals
//   resets its `acquireTime` (the comeback) and records in its Lease since when it was silent
//   (ANNOTATION_SILENT_SINCE, images/agent/src/lease.ts). Every node whose last renewal falls in
//   that silence, or up to half a Lease duration before it (agents renew at least that often,
//   so an outage silences them all within that much), was plausibly cut off by the same outage:
//   it gets one Lease duration from the comeback to renew too, expired or about to. This covers
//   outages shorter than a Lease duration too, where the first agents back had not expired and
//   the others had. A node that really died during an outage is fenced up to that much later;
//   one that died before it is not (its last renewal is older), and an agent that starts a new
//   Lease (a new node, a Lease taken over) vouches for nobody.

import type { AgentHeartbeat } from "../lib/agent-leases.js";

/** What the fencing planner should use. */
export interface OutageAwareExpiry {
  /** Per `nodeLabelValue(node)`: when its agent counts as dead (epoch ms). */
  readonly expiry: ReadonlyMap<string, number>;
  /** True when none of at least two agent Leases was renewed in its last half duration. */
  readonly suspended: boolean;
  /** Nodes whose Lease is extended because another agent just came back. */
  readonly graced: readonly string[];
}

/**
 * Per-node agent expiry with the two outage rules applied (see file header): `suspended` when
 * no Lease (of two at least) was renewed within the last half of its duration; otherwise a node
 * whose last renewal falls in a live agent's silence (from half a duration before its start to
 * the comeback) expires one Lease duration after that comeback at the earliest.
 */
export function outageAwareExpiry(
  byNode: ReadonlyMap<string, AgentHeartbeat>,
  nowMs: number,
): OutageAwareExpiry {
  const heartbeats = [...byNode.values()];
  const suspended = byNode.size >= 2 && !heartbeats.some(l => renewedInLastHalf(l, nowMs));
  const comebacks = heartbeats.flatMap(({ expiresAtMs, acquiredAtMs, silentSinceMs }) =>
    expiresAtMs >= nowMs &&
    acquiredAtMs !== undefined &&
    acquiredAtMs <= nowMs &&
    silentSinceMs !== undefined &&
    silentSinceMs < acquiredAtMs
      ? [{ from: silentSinceMs, at: acquiredAtMs }]
      : [],
  );
  const expiry = new Map<string, number>();
  const graced: string[] = [];
  for (const [node, heartbeat] of byNode) {
    const { expiresAtMs, durationMs } = heartbeat;
    const renewedAtMs = expiresAtMs - durationMs;
    let until = expiresAtMs;
    for (const { from, at } of comebacks) {
      if (renewedAtMs >= from - durationMs / 2 && renewedAtMs < at) {
        until = Math.max(until, at + durationMs);
      }
    }
    if (until > expiresAtMs && until >= nowMs) graced.push(node);
    expiry.set(node, until);
  }
  return { expiry, suspended, graced: graced.sort() };
}

/** Whether the Lease was renewed within the last half of its duration before `nowMs`. */
function renewedInLastHalf({ expiresAtMs, durationMs }: AgentHeartbeat, nowMs: number): boolean {
  return expiresAtMs - durationMs / 2 >= nowMs;
}
