// Fencing: when a node agent stops renewing its heartbeat Lease (agent crashed, node down or cut
// off), the endpoints it published stay as last written - possibly "ready" - and traffic keeps
// flowing to pods nobody is probing any more. This file decides which of those slices to fence
// and builds the patch that marks every endpoint not ready and not serving. It is pure: the
// EndpointSlice GC hook (hooks/endpointslice-gc/hook.ts) runs it on its snapshots every 5 seconds.

import { ANNOTATION_FENCED_AT, nodeLabelValue } from "../../api/contract.js";
import type { EndpointSliceSnapshot } from "../lib/agent-slices.js";
import { compareText } from "../lib/collections.js";

/** Why a node's agent counts as dead. */
export type DeadAgentReason = "LeaseExpired" | "LeaseMissing";

/** A slice to fence and why. */
export interface FenceDecision {
  readonly slice: EndpointSliceSnapshot;
  readonly nodeName: string;
  readonly reason: DeadAgentReason;
}

/** The fencing plan of one run. */
export interface FencingPlan {
  /** Slices to patch now. */
  readonly fence: readonly FenceDecision[];
  /** Slices of dead agents that are already fenced (nothing to write). */
  readonly alreadyFenced: number;
  /** Nodes whose agent is dead and that still have slices, with the reason, sorted by name. */
  readonly deadNodes: ReadonlyMap<string, DeadAgentReason>;
}

/**
 * Whether the agent of a node is dead at `nowMs`, given the per-node Lease expiry (from
 * `agentHeartbeatsByNode`, with the outage rules of `fencing-outage.ts`): no Lease, or
 * `renewTime + leaseDurationSeconds < now`. Undefined when the agent is alive.
 */
export function deadAgentReason(
  expiresAtMs: number | undefined,
  nowMs: number,
): DeadAgentReason | undefined {
  if (expiresAtMs === undefined) return "LeaseMissing";
  return expiresAtMs < nowMs ? "LeaseExpired" : undefined;
}

/**
 * True when the slice already carries the fencing mark and every endpoint is neither ready nor
 * serving, i.e. a fencing patch would change nothing.
 */
export function isFenced(slice: EndpointSliceSnapshot): boolean {
  return slice.fencedAt !== undefined && slice.endpoints.every(e => !e.ready && !e.serving);
}

/**
 * Whether the slice is left alone although its node's agent is dead for `reason`: a legacy slice
 * (the Go agent's) on a node where our agent never held a Lease. Our agents start during the
 * module's rollout, node by node; fencing every legacy slice of a node before its new agent is up
 * would take the node's endpoints out of every SWH for the whole rollout. Once our agent has run
 * there (a Lease that then expires) the legacy slice is fenced like ours.
 */
function spared(slice: EndpointSliceSnapshot, reason: DeadAgentReason): boolean {
  return slice.legacy && reason === "LeaseMissing";
}

/**
 * Plans fencing: every slice whose node's agent is dead and that still has an endpoint marked
 * ready or serving (or lacks the mark) is fenced. Slices without a known node, empty slices,
 * slices listed in `skip` (e.g. about to be deleted by GC) and legacy slices of a node that has
 * never had an agent Lease are left alone. `leaseExpiry` is keyed by `nodeLabelValue(node)`
 * (agentHeartbeatsByNode), so a node name longer than a label value still finds its Lease.
 */
export function planFencing(
  slices: readonly EndpointSliceSnapshot[],
  leaseExpiry: ReadonlyMap<string, number>,
  nowMs: number,
  skip: ReadonlySet<EndpointSliceSnapshot> = new Set(),
): FencingPlan {
  const fence: FenceDecision[] = [];
  const deadNodes = new Map<string, DeadAgentReason>();
  let alreadyFenced = 0;
  for (const slice of slices) {
    const nodeName = slice.nodeName;
    if (nodeName === undefined || slice.endpoints.length === 0 || skip.has(slice)) continue;
    const reason = deadAgentReason(leaseExpiry.get(nodeLabelValue(nodeName)), nowMs);
    if (reason === undefined || spared(slice, reason)) continue;
    deadNodes.set(nodeName, reason);
    if (isFenced(slice)) alreadyFenced++;
    else fence.push({ slice, nodeName, reason });
  }
  const sortedDead = new Map([...deadNodes].sort(([a], [b]) => compareText(a, b)));
  return { fence, alreadyFenced, deadNodes: sortedDead };
}

/** A JSON string literal usable inside a jq program. */
function jqString(text: string): string {
  return JSON.stringify(text);
}

/**
 * The jq program of the fencing `JQPatch`. The operator applies it to the slice as it is at
 * apply time (get, filter, update, retried on conflict), so it fences whatever endpoints the
 * slice holds then - no stale array indexes, unlike a JSON patch built from the snapshot. Every
 * endpoint gets `ready: false, serving: false` (`terminating` is kept) and the slice gets the
 * `fenced-at` annotation.
 */
export function fencingJqProgram(now: Date): string {
  return [
    `.metadata.annotations[${jqString(ANNOTATION_FENCED_AT)}] = ${jqString(now.toISOString())}`,
    `.endpoints = [(.endpoints // [])[] | .conditions.ready = false | .conditions.serving = false]`,
  ].join(" | ");
}
