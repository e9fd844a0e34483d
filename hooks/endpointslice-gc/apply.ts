// The EndpointSlice GC and fencing plan turned into ready patch operations, gauges and log lines
// (one line per reason and per dead node, never per slice: a dead node can hold a thousand).

import {
  type DeletePatchOperation,
  type HookInput,
  type JqPatchOperation,
  type MetricsCollector,
} from "shell-operator-ts-hooks";
import { fencingJqProgram } from "./fencing.js";
import { type LeftoverDecision, type LeftoverReason } from "./leftover-handover.js";
import type { EndpointSliceSnapshot } from "../lib/agent-slices.js";
import { groupBy } from "../lib/collections.js";
import {
  ENDPOINT_SLICE_API_VERSION,
  ENDPOINT_SLICE_KIND,
  type GcAndFencingPlan,
  type GcReason,
} from "./plan.js";

/** The background deletion of one slice. Pure. */
export function sliceDeleteOperation(slice: EndpointSliceSnapshot): DeletePatchOperation {
  return {
    operation: "DeleteInBackground",
    apiVersion: ENDPOINT_SLICE_API_VERSION,
    kind: ENDPOINT_SLICE_KIND,
    namespace: slice.namespace,
    name: slice.name,
  };
}

/** The fencing of one slice: `program` (fencingJqProgram) as a JQPatch. Pure. */
export function fenceOperation(slice: EndpointSliceSnapshot, program: string): JqPatchOperation {
  return {
    operation: "JQPatch",
    apiVersion: ENDPOINT_SLICE_API_VERSION,
    kind: ENDPOINT_SLICE_KIND,
    namespace: slice.namespace,
    name: slice.name,
    jqFilter: program,
    ignoreMissingObject: true,
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
  input.patches.add(
    ...leftovers.map(({ ref }) => ({ operation: "DeleteInBackground" as const, ...ref })),
  );
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
  input.patches.add(...plan.delete.map(d => sliceDeleteOperation(d.slice)));
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
  input.patches.add(...plan.fencing.fence.map(d => fenceOperation(d.slice, program)));
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
