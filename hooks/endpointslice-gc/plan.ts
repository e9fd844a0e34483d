// The EndpointSlice GC and fencing hook's planner: from the snapshots (agent slices, SWHs, Nodes,
// agent Leases, marked controller leftovers) and the time, which slices are garbage and why, which
// are fenced (their agent's Lease expired, outages taken into account), which legacy slices and
// controller leftovers are handed over. Pure; the hook turns the plan into operations (apply.ts).

import { SWH_KIND, nodeLabelValue } from "../../api/contract.js";
import { planFencing, type FencingPlan } from "./fencing.js";
import { outageAwareExpiry } from "./fencing-outage.js";
import { planLeftoverHandover, type LeftoverDecision } from "./leftover-handover.js";
import { planLegacyHandover, type LegacyReason } from "./legacy-slices.js";
import {
  agentHeartbeatsByNode,
  type AgentHeartbeat,
  type LeaseSnapshot,
} from "../lib/agent-leases.js";
import type { EndpointSliceSnapshot } from "../lib/agent-slices.js";
import type { ObjectIdentity } from "../lib/object-identity.js";
import { type MarkedLeftoverSnapshot } from "../lib/controller-leftovers.js";
import { objectKey } from "../lib/swh.js";

/** Why a slice is garbage (or, for the Go implementation's slices, handed over). */
export type GcReason = "OwnerMissing" | "OwnerReplaced" | "NodeMissing" | "Unowned" | LegacyReason;

/** One slice to delete. */
export interface GcDecision {
  readonly slice: EndpointSliceSnapshot;
  readonly reason: GcReason;
}

/** What one run of the hook does. */
export interface GcAndFencingPlan {
  readonly delete: readonly GcDecision[];
  readonly fencing: FencingPlan;
  /** kube-controller-manager's leftovers of adopted Services to delete. */
  readonly leftovers: readonly LeftoverDecision[];
  /** No agent Lease renewed lately, anywhere: fencing suspended (hooks/endpointslice-gc/fencing-outage.ts). */
  readonly suspended?: boolean;
  /** Nodes given time to renew because another agent just came back. */
  readonly graced?: readonly string[];
}

/** Snapshots the planner reads. */
export interface GcSnapshots {
  readonly slices: readonly EndpointSliceSnapshot[];
  readonly swhs: readonly ObjectIdentity[];
  readonly nodes: readonly ObjectIdentity[];
  readonly leases: readonly LeaseSnapshot[];
  /** Marked kube-controller-manager leftovers; none when absent. */
  readonly leftovers?: readonly MarkedLeftoverSnapshot[];
}

/** The API version and kind of the slices this hook collects and fences. */
export const ENDPOINT_SLICE_API_VERSION = "discovery.k8s.io/v1";
export const ENDPOINT_SLICE_KIND = "EndpointSlice";

/** Index of SWH uid by `namespace/name`. */
function swhUidIndex(swhs: readonly ObjectIdentity[]): ReadonlyMap<string, string | undefined> {
  return new Map(swhs.map(s => [objectKey(s.namespace, s.name), s.uid]));
}

/** The SWH owner references of a slice (there is one: the agent sets a controller reference). */
function swhOwnerUids(slice: EndpointSliceSnapshot): readonly string[] {
  return slice.owners.filter(o => o.kind === SWH_KIND).map(o => o.uid);
}

/**
 * Whether the SWH a slice belongs to is gone. Ownership is the SWH owner reference's uid when the
 * slice has one (a deleted-and-recreated SWH of the same name is a different owner), else the
 * `kubernetes.io/service-name` label. A slice with neither belongs to nobody.
 */
export function ownerProblem(
  slice: EndpointSliceSnapshot,
  swhUids: ReadonlySet<string>,
  swhByKey: ReadonlyMap<string, string | undefined>,
): GcReason | undefined {
  const ownerUids = swhOwnerUids(slice);
  const key =
    slice.serviceName === undefined ? undefined : objectKey(slice.namespace, slice.serviceName);
  if (ownerUids.length > 0) {
    if (ownerUids.some(uid => swhUids.has(uid))) return undefined;
    return key !== undefined && swhByKey.has(key) ? "OwnerReplaced" : "OwnerMissing";
  }
  if (key === undefined) return "Unowned";
  return swhByKey.has(key) ? undefined : "OwnerMissing";
}

/**
 * Whether the slice's node is gone. `nodeKeys` holds `nodeLabelValue` of every Node name; the
 * slice's node (its node-name label, already in that form, or its endpoints' node name) is put
 * through the same function, so a node name longer than a label value still matches.
 */
function nodeMissing(slice: EndpointSliceSnapshot, nodeKeys: ReadonlySet<string>): boolean {
  return (
    nodeKeys.size > 0 &&
    slice.nodeName !== undefined &&
    !nodeKeys.has(nodeLabelValue(slice.nodeName))
  );
}

/**
 * Plans GC: slices whose owner SWH is gone, and slices of a node that no longer exists. When the
 * Node snapshot is empty (no cluster runs without nodes: the watch is broken or forbidden), node
 * GC is skipped rather than deleting every slice.
 */
export function planGc(snapshots: Omit<GcSnapshots, "leases">): readonly GcDecision[] {
  const swhUids = new Set(snapshots.swhs.map(s => s.uid).filter(u => u !== undefined));
  const swhByKey = swhUidIndex(snapshots.swhs);
  const nodeKeys = nodeKeysOf(snapshots.nodes);
  const decisions: GcDecision[] = [];
  for (const slice of snapshots.slices) {
    const reason =
      ownerProblem(slice, swhUids, swhByKey) ??
      (nodeMissing(slice, nodeKeys) ? "NodeMissing" : undefined);
    if (reason !== undefined) decisions.push({ slice, reason });
  }
  return decisions;
}

/** `nodeLabelValue` of every Node's name: the key slices and Leases are matched on. */
function nodeKeysOf(nodes: readonly ObjectIdentity[]): ReadonlySet<string> {
  return new Set(nodes.map(n => nodeLabelValue(n.name)));
}

/**
 * The heartbeats of nodes that exist. Nothing deletes a removed node's Lease, so without this a
 * cluster down to one live agent plus a stale Lease would count "every agent silent" when that
 * agent dies, and suspend fencing for good. An empty Node snapshot (a broken or forbidden
 * watch, as in planGc) filters nothing.
 */
function existingNodesOnly(
  heartbeats: ReadonlyMap<string, AgentHeartbeat>,
  nodes: readonly ObjectIdentity[],
): ReadonlyMap<string, AgentHeartbeat> {
  const nodeKeys = nodeKeysOf(nodes);
  if (nodeKeys.size === 0) return heartbeats;
  return new Map([...heartbeats].filter(([node]) => nodeKeys.has(node)));
}

/**
 * Plans GC, then the hand-over of the legacy slices GC keeps, then fencing of the slices that
 * are still kept, and the hand-over of marked controller leftovers to the slices still kept.
 */
export function planGcAndFencing(snapshots: GcSnapshots, now: Date): GcAndFencingPlan {
  const nowMs = now.getTime();
  const gc = planGc(snapshots);
  const collected = new Set(gc.map(d => d.slice));
  const kept = snapshots.slices.filter(s => !collected.has(s));
  const heartbeats = agentHeartbeatsByNode(snapshots.leases);
  const deletions = [...gc, ...planLegacyHandover(kept, heartbeats, nowMs)];
  const deleted = new Set(deletions.map(d => d.slice));
  const outage = outageAwareExpiry(existingNodesOnly(heartbeats, snapshots.nodes), nowMs);
  const fencing = outage.suspended
    ? { fence: [], alreadyFenced: 0, deadNodes: new Map<string, never>() }
    : planFencing(snapshots.slices, outage.expiry, nowMs, deleted);
  const fencedNow = new Set(fencing.fence.map(d => d.slice));
  const leftovers =
    (snapshots.leftovers ?? []).length === 0
      ? []
      : planLeftoverHandover(
          snapshots.leftovers ?? [],
          snapshots.swhs,
          // A slice this run deletes or fences is no evidence that the agents serve.
          snapshots.slices.filter(s => !deleted.has(s) && !fencedNow.has(s)),
          nowMs,
        );
  return {
    delete: deletions,
    fencing,
    leftovers,
    suspended: outage.suspended,
    graced: outage.graced,
  };
}
