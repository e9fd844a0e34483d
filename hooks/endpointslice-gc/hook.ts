// EndpointSlice garbage collection and fencing, one hook. Agents publish EndpointSlices but
// cannot clean up after themselves when their SWH is deleted while they are down, or when their
// node is gone; and a dead agent cannot withdraw endpoints it last published as ready. This hook
// deletes slices whose SWH or node no longer exists and fences (marks not ready) the slices of
// agents whose heartbeat Lease expired.
//
// The same run hands over the Go implementation's legacy slices (hooks/endpointslice-gc/legacy-slices.ts): they
// are deleted once our agent on their node publishes the same ready endpoints, or has run long
// enough to be the truth. Node names are compared through `nodeLabelValue` everywhere, as the
// agents label slices and Leases with it: a 64+ character node name is neither GC'd nor fenced.
//
// GC and fencing are one hook on purpose: they need the same four snapshots (slices, SWHs,
// Nodes, Leases), so one hook keeps one copy of them in the operator's memory instead of two;
// and planning them together means a slice about to be deleted is never also patched (a patch
// on a deleted slice would fail the run). A 5-second schedule notices Lease expiry without any
// event; slice and Lease changes do not run the hook at all (snapshot-only bindings), so agents
// renewing Leases and rewriting slices cost nothing here. SWHs and Nodes do run it (a deletion
// is collected at once); their identity-only jqFilter makes the operator drop Modified events.
//
// The same run deletes kube-controller-manager's leftovers of adopted Services once the agents
// serve instead (hooks/endpointslice-gc/leftover-handover.ts): the child-service hook marks them, and only marked
// slices are watched here (snapshot-only), so a cluster's own EndpointSlices cost nothing.

import { defineHook, type HookInput, type MetricsCollector } from "shell-operator-ts-hooks";
import {
  LABEL_LEASE_COMPONENT,
  LABEL_MANAGED_BY,
  LEASE_COMPONENT_VALUE,
  MANAGED_BY_VALUE,
  MODULE_NAMESPACE,
  SWH_API_VERSION,
  SWH_KIND,
  nodeLabelValue,
} from "../../api/contract.js";
import { fencingJqProgram, planFencing, type FencingPlan } from "./fencing.js";
import { outageAwareExpiry } from "./fencing-outage.js";
import {
  planLeftoverHandover,
  type LeftoverDecision,
  type LeftoverReason,
} from "./leftover-handover.js";
import { planLegacyHandover, type LegacyReason } from "./legacy-slices.js";
import {
  ENDPOINT_SLICE_JQ_FILTER,
  LEASE_JQ_FILTER,
  OBJECT_IDENTITY_JQ_FILTER,
  agentHeartbeatsByNode,
  type AgentHeartbeat,
  filterEndpointSlice,
  filterLease,
  filterObjectIdentity,
  type EndpointSliceSnapshot,
  type LeaseSnapshot,
  type ObjectIdentity,
} from "../lib/agent-objects.js";
import { groupBy } from "../lib/collections.js";
import {
  leftoversBinding,
  LEFTOVERS_BINDING,
  type MarkedLeftoverSnapshot,
} from "../lib/controller-leftovers.js";
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

const ENDPOINT_SLICE_API_VERSION = "discovery.k8s.io/v1";
const ENDPOINT_SLICE_KIND = "EndpointSlice";

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

function sliceRef(slice: EndpointSliceSnapshot): {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
} {
  return {
    apiVersion: ENDPOINT_SLICE_API_VERSION,
    kind: ENDPOINT_SLICE_KIND,
    namespace: slice.namespace,
    name: slice.name,
  };
}

/** Metric names exported by this hook. */
export const GC_METRICS = {
  deleted: "d8_swh_endpointslices_gc_deleted_total",
  fenced: "d8_swh_endpointslices_fenced_total",
  deadAgent: "d8_swh_agent_heartbeat_expired",
  fencingSuspended: "d8_swh_fencing_suspended",
} as const;

/** Metric group of the dead-agent and suspension gauges: each run replaces the previous series. */
export const DEAD_AGENT_METRIC_GROUP = "swh_dead_agents";

function emitMetrics(plan: GcAndFencingPlan, metrics: MetricsCollector): void {
  const deletedByReason = new Map<GcReason | LeftoverReason, number>();
  const leftoverSlices = plan.leftovers.filter(d => d.ref.kind === "EndpointSlice");
  for (const d of [...plan.delete, ...leftoverSlices])
    deletedByReason.set(d.reason, (deletedByReason.get(d.reason) ?? 0) + 1);
  for (const [reason, count] of deletedByReason) metrics.add(GC_METRICS.deleted, count, { reason });
  if (plan.fencing.fence.length > 0) metrics.add(GC_METRICS.fenced, plan.fencing.fence.length);
  metrics.expire(DEAD_AGENT_METRIC_GROUP);
  metrics.set(
    GC_METRICS.fencingSuspended,
    plan.suspended === true ? 1 : 0,
    {},
    {
      group: DEAD_AGENT_METRIC_GROUP,
    },
  );
  for (const [node, reason] of plan.fencing.deadNodes) {
    metrics.set(GC_METRICS.deadAgent, 1, { node, reason }, { group: DEAD_AGENT_METRIC_GROUP });
  }
}

/** At most this many slice names in one log line; the count is always exact. */
const LOGGED_NAMES = 10;

function sliceNames(slices: readonly EndpointSliceSnapshot[]): string[] {
  return slices.slice(0, LOGGED_NAMES).map(s => `${s.namespace}/${s.name}`);
}

/** Deletes controller leftovers in the background; one log line per reason. */
function applyLeftovers(
  leftovers: readonly LeftoverDecision[],
  input: Pick<HookInput, "patches" | "logger">,
): void {
  for (const { ref } of leftovers) input.patches.deleteInBackground(ref);
  for (const [reason, decisions] of groupBy(leftovers, d => d.reason)) {
    input.logger.info("deleting what kube-controller-manager left for adopted Services", {
      reason,
      count: decisions.length,
      objects: decisions
        .slice(0, LOGGED_NAMES)
        .map(d => `${d.ref.kind} ${d.ref.namespace ?? ""}/${d.ref.name}`),
    });
  }
}

/**
 * Turns a plan into operations, metrics and log lines on the hook input. Logs one line per GC
 * reason and one per dead node (not per slice: a dead node can hold a thousand slices).
 */
export function applyGcAndFencingPlan(
  plan: GcAndFencingPlan,
  input: Pick<HookInput, "patches" | "metrics" | "logger" | "now">,
): void {
  for (const { slice } of plan.delete) input.patches.deleteInBackground(sliceRef(slice));
  for (const [reason, decisions] of groupBy(plan.delete, d => d.reason)) {
    const slices = decisions.map(d => d.slice);
    input.logger.info("deleting orphaned EndpointSlices", {
      reason,
      count: slices.length,
      slices: sliceNames(slices),
    });
  }
  applyLeftovers(plan.leftovers, input);
  const program = fencingJqProgram(input.now);
  for (const { slice } of plan.fencing.fence) {
    input.patches.jqPatch(sliceRef(slice), program, { ignoreMissingObject: true });
  }
  for (const [node, decisions] of groupBy(plan.fencing.fence, d => d.nodeName)) {
    const slices = decisions.map(d => d.slice);
    input.logger.warn("fencing EndpointSlices of a node whose agent stopped heartbeating", {
      node,
      reason: decisions[0]?.reason,
      count: slices.length,
      slices: sliceNames(slices),
    });
  }
  if (plan.suspended === true) {
    input.logger.warn("fencing suspended: no agent renewed its Lease within half its duration", {
      hint: "the API server or the operator's view of it is away, or every agent is down",
    });
  }
  emitMetrics(plan, input.metrics);
}

/** The hook: GC of orphaned agent EndpointSlices and fencing of dead agents' slices. */
export const endpointsliceGcHook = defineHook(
  {
    name: "endpointslice-gc",
    // A queue of its own: a hook run the API server refuses (a tenant's admission policy on a
    // child Service, say) stays at the head of its queue and is retried there; fencing must not
    // wait behind it on the main queue.
    queue: "fencing",
    schedule: [{ name: "every-5s", crontab: "*/5 * * * * *" }],
    kubernetes: {
      slices: {
        name: "slices",
        apiVersion: ENDPOINT_SLICE_API_VERSION,
        kind: ENDPOINT_SLICE_KIND,
        labelSelector: { matchLabels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE } },
        executeHookOnEvent: [],
        jqFilter: ENDPOINT_SLICE_JQ_FILTER,
        filter: filterEndpointSlice,
      },
      swhs: {
        name: "swhs",
        apiVersion: SWH_API_VERSION,
        kind: SWH_KIND,
        jqFilter: OBJECT_IDENTITY_JQ_FILTER,
        filter: filterObjectIdentity,
      },
      nodes: {
        name: "nodes",
        apiVersion: "v1",
        kind: "Node",
        jqFilter: OBJECT_IDENTITY_JQ_FILTER,
        filter: filterObjectIdentity,
      },
      leases: {
        name: "leases",
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        namespace: { nameSelector: { matchNames: [MODULE_NAMESPACE] } },
        labelSelector: { matchLabels: { [LABEL_LEASE_COMPONENT]: LEASE_COMPONENT_VALUE } },
        executeHookOnEvent: [],
        jqFilter: LEASE_JQ_FILTER,
        filter: filterLease,
      },
      [LEFTOVERS_BINDING]: leftoversBinding(),
    },
  },
  input => {
    const plan = planGcAndFencing(input.snapshots, input.now);
    applyGcAndFencingPlan(plan, input);
  },
);
