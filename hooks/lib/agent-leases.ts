// Snapshot filter for the node agents' heartbeat Leases, and what the hooks conclude from them:
// when a Lease expires, and the freshest heartbeat per node.
//
// The status hook and the GC/fencing hook both bind to these objects; filtering at the edge
// keeps the operator's memory small (10,000 endpoints, 1,000 SWHs) and gives the hooks small,
// validated, readonly shapes instead of raw `unknown` JSON.
//
// The filter comes as a pair: a jq program the operator runs on the full object (the jq output
// keeps the Kubernetes object's own shape, only smaller) and a TypeScript function that validates
// that output - or the full object, which has the same shape - and returns a typed snapshot.

import { ANNOTATION_SILENT_SINCE, LABEL_NODE_NAME, nodeLabelValue } from "../../api/contract.js";
import { asNumber, asString, compact, recordAt } from "../../api/json-read.js";

/** An agent heartbeat Lease. */
export interface LeaseSnapshot {
  readonly name: string;
  readonly namespace: string;
  /** The node whose agent holds the Lease: `spec.holderIdentity`, else the node-name label. */
  readonly nodeName?: string;
  /** `spec.renewTime` in epoch milliseconds; undefined when absent or unparsable. */
  readonly renewTimeMs?: number;
  /** `spec.leaseDurationSeconds`; undefined when absent. */
  readonly leaseDurationSeconds?: number;
  /** `spec.acquireTime` in epoch milliseconds: since when this holder has held the Lease. */
  readonly acquireTimeMs?: number;
  /** ANNOTATION_SILENT_SINCE in epoch milliseconds: the agent came back at acquireTime after
   *  missing the renewals due since then. */
  readonly silentSinceMs?: number;
}

/**
 * Lease duration assumed when a Lease carries none; the kubelet's node-lease default. The agent
 * always sets it, so this only matters for hand-made Leases.
 */
export const DEFAULT_LEASE_DURATION_SECONDS = 40;

/** jq program for agent Leases: holder, renew and acquire times, duration, silence start. */
export const LEASE_JQ_FILTER = `{
  metadata: {
    name: .metadata.name,
    namespace: .metadata.namespace,
    labels: ((.metadata.labels // {}) | with_entries(select(.key == "${LABEL_NODE_NAME}"))),
    annotations: ((.metadata.annotations // {}) | with_entries(select(.key == "${ANNOTATION_SILENT_SINCE}")))
  },
  spec: {
    holderIdentity: .spec.holderIdentity,
    renewTime: .spec.renewTime,
    acquireTime: .spec.acquireTime,
    leaseDurationSeconds: .spec.leaseDurationSeconds
  }
}`;

/**
 * Validates an agent Lease (full object or `LEASE_JQ_FILTER` output); undefined without a name.
 */
export function filterLease(obj: unknown): LeaseSnapshot | undefined {
  const metadata = recordAt(obj, "metadata");
  const name = asString(metadata.name);
  if (name === undefined) return undefined;
  const spec = recordAt(obj, "spec");
  return compact<LeaseSnapshot>({
    name,
    namespace: asString(metadata.namespace) ?? "",
    nodeName:
      asString(spec.holderIdentity) ?? asString(recordAt(metadata, "labels")[LABEL_NODE_NAME]),
    renewTimeMs: timeMs(spec.renewTime),
    leaseDurationSeconds: asNumber(spec.leaseDurationSeconds),
    acquireTimeMs: timeMs(spec.acquireTime),
    silentSinceMs: timeMs(recordAt(metadata, "annotations")[ANNOTATION_SILENT_SINCE]),
  });
}

/** An RFC 3339 time (MicroTime too) in epoch milliseconds; undefined when absent or invalid. */
function timeMs(value: unknown): number | undefined {
  const text = asString(value);
  const ms = text === undefined ? Number.NaN : Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Epoch milliseconds at which a Lease expires (`renewTime + leaseDurationSeconds`), or undefined
 * when it was never renewed (such a Lease is as good as expired).
 */
export function leaseExpiresAtMs(lease: LeaseSnapshot): number | undefined {
  if (lease.renewTimeMs === undefined) return undefined;
  const duration = lease.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS;
  return lease.renewTimeMs + duration * 1000;
}

/** What the hooks know of one node's agent from its heartbeat Lease. */
export interface AgentHeartbeat {
  /** When the Lease expires (epoch ms); `-Infinity` when it was never renewed. */
  readonly expiresAtMs: number;
  /** Since when the agent has held the Lease (epoch ms), when the Lease says so. */
  readonly acquiredAtMs?: number;
  /** With `acquiredAtMs`: the agent was silent from here until it came back then (epoch ms). */
  readonly silentSinceMs?: number;
  /** How long the Lease is valid without renewal (ms). */
  readonly durationMs: number;
}

/**
 * The freshest Lease per node (a node normally has one; if a rename left two, the one that
 * expires last wins), keyed by `nodeLabelValue(holder)` so that a 64+ character node name, its
 * slices' node-name label and its Lease all meet on one key.
 */
export function agentHeartbeatsByNode(
  leases: readonly LeaseSnapshot[],
): ReadonlyMap<string, AgentHeartbeat> {
  const byNode = new Map<string, AgentHeartbeat>();
  for (const lease of leases) {
    if (lease.nodeName === undefined) continue;
    const key = nodeLabelValue(lease.nodeName);
    const expiresAtMs = leaseExpiresAtMs(lease) ?? Number.NEGATIVE_INFINITY;
    const seen = byNode.get(key);
    if (seen !== undefined && seen.expiresAtMs >= expiresAtMs) continue;
    const durationMs = (lease.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS) * 1000;
    byNode.set(
      key,
      compact<AgentHeartbeat>({
        expiresAtMs,
        acquiredAtMs: lease.acquireTimeMs,
        silentSinceMs: lease.silentSinceMs,
        durationMs,
      }),
    );
  }
  return byNode;
}
