// Hand-over of the Go implementation's EndpointSlices. The Go agent wrote one slice per (SWH,
// node), named `<swh>-<node>`, labelled `endpointslice.kubernetes.io/managed-by:
// servicewithhealthchecks` like ours but without our node-name label. Our agents only watch
// slices carrying their node-name label, so after a migration nothing updates those slices any
// more: an endpoint they list as ready stays ready whatever its probes say, and a deleted pod's
// address stays in the Service. This file decides when such a slice can go without a gap in the
// Service's ready endpoints (the policy is in docs/internal/DESIGN.md, "Migration from the Go
// implementation"). It is pure: the EndpointSlice GC hook runs it on its snapshots.

import { nodeLabelValue } from "../../api/contract.js";
import { deadAgentReason } from "./fencing.js";
import type { AgentHeartbeat } from "../lib/agent-leases.js";
import type { EndpointSliceSnapshot } from "../lib/agent-slices.js";
import { objectKey } from "../lib/swh.js";

/** Why a legacy slice is deleted. */
export type LegacyReason = "LegacyReplaced" | "LegacyEmpty";

/** One legacy slice to delete. */
export interface LegacyDecision {
  readonly slice: EndpointSliceSnapshot;
  readonly reason: LegacyReason;
}

/**
 * How long our agent must have held its node's Lease before that node's legacy slices go even
 * where our agent does not publish the same endpoints as ready. By then it has probed every pod
 * (the defaults settle an endpoint within initialDelaySeconds + failureThreshold x periodSeconds,
 * about 40 s), so its own slices are the truth: an endpoint it reports not ready or does not
 * publish at all is failing or gone, and the stale legacy copy must stop serving it.
 */
export const LEGACY_HANDOVER_GRACE_MS = 2 * 60 * 1000;

function swhNodeKey(namespace: string, serviceName: string, nodeName: string): string {
  return `${objectKey(namespace, serviceName)}\u0000${nodeLabelValue(nodeName)}`;
}

/**
 * The addresses our agents publish as ready, grouped by `keyOf(slice)` (slices it gives no key
 * are skipped). Legacy slices are not counted.
 */
export function readyAddressesBy(
  slices: Iterable<EndpointSliceSnapshot>,
  keyOf: (slice: EndpointSliceSnapshot) => string | undefined,
): ReadonlyMap<string, ReadonlySet<string>> {
  const ready = new Map<string, Set<string>>();
  for (const slice of slices) {
    const key = slice.legacy ? undefined : keyOf(slice);
    if (key === undefined) continue;
    const set = ready.get(key) ?? new Set<string>();
    ready.set(key, set);
    for (const endpoint of slice.endpoints.filter(e => e.ready)) {
      for (const address of endpoint.addresses) set.add(address);
    }
  }
  return ready;
}

/**
 * The addresses our agents publish as ready, per (SWH, node): the key joins the slice's
 * namespace/service-name and `nodeLabelValue` of its node. Legacy slices are not counted.
 */
export function readyAddressesBySwhAndNode(
  slices: readonly EndpointSliceSnapshot[],
): ReadonlyMap<string, ReadonlySet<string>> {
  return readyAddressesBy(slices, s =>
    s.serviceName === undefined || s.nodeName === undefined
      ? undefined
      : swhNodeKey(s.namespace, s.serviceName, s.nodeName),
  );
}

/** Inputs of the hand-over decision for one legacy slice. */
export interface HandoverContext {
  /** readyAddressesBySwhAndNode over the slices GC keeps. */
  readonly ourReady: ReadonlyMap<string, ReadonlySet<string>>;
  /** agentHeartbeatsByNode over the agent Leases. */
  readonly heartbeats: ReadonlyMap<string, AgentHeartbeat>;
  readonly nowMs: number;
}

/** True when our agent on the node has held its Lease for LEGACY_HANDOVER_GRACE_MS. */
function agentSettled(heartbeat: AgentHeartbeat, nowMs: number): boolean {
  return (
    heartbeat.acquiredAtMs !== undefined &&
    heartbeat.acquiredAtMs <= nowMs - LEGACY_HANDOVER_GRACE_MS
  );
}

/**
 * Whether a legacy slice (whose SWH and node exist: GC checked) can be deleted now:
 * - it lists no endpoint: nothing to hand over (`LegacyEmpty`);
 * - otherwise only while our agent on its node is alive (Lease not expired), and when either
 *   every endpoint it lists as ready is published as ready by our agent's slices for the same
 *   SWH and node (deleting it changes no ready endpoint), or our agent has held its Lease for
 *   LEGACY_HANDOVER_GRACE_MS (`LegacyReplaced`).
 * A slice whose endpoints name no single node is kept (the Go agent never wrote one).
 */
export function legacyHandover(
  slice: EndpointSliceSnapshot,
  context: HandoverContext,
): LegacyReason | undefined {
  if (slice.endpoints.length === 0) return "LegacyEmpty";
  if (slice.nodeName === undefined || slice.serviceName === undefined) return undefined;
  const heartbeat = context.heartbeats.get(nodeLabelValue(slice.nodeName));
  if (heartbeat === undefined) return undefined;
  if (deadAgentReason(heartbeat.expiresAtMs, context.nowMs) !== undefined) return undefined;
  if (agentSettled(heartbeat, context.nowMs)) return "LegacyReplaced";
  const ours = context.ourReady.get(swhNodeKey(slice.namespace, slice.serviceName, slice.nodeName));
  const covered = slice.endpoints.every(
    e => !e.ready || e.addresses.every(address => ours?.has(address) === true),
  );
  return covered ? "LegacyReplaced" : undefined;
}

/**
 * Plans the hand-over over the slices GC keeps (`slices`: ours and legacy ones alike, as our
 * slices are the evidence). Returns the legacy slices to delete, in input order.
 */
export function planLegacyHandover(
  slices: readonly EndpointSliceSnapshot[],
  heartbeats: ReadonlyMap<string, AgentHeartbeat>,
  nowMs: number,
): readonly LegacyDecision[] {
  const legacy = slices.filter(s => s.legacy);
  if (legacy.length === 0) return [];
  const context = { ourReady: readyAddressesBySwhAndNode(slices), heartbeats, nowMs };
  const decisions: LegacyDecision[] = [];
  for (const slice of legacy) {
    const reason = legacyHandover(slice, context);
    if (reason !== undefined) decisions.push({ slice, reason });
  }
  return decisions;
}
