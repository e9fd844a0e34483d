// The SWH's conditions: Ready from the endpoint counts, ChildServiceReady from the shared
// child-service classification, each with a lastTransitionTime that moves only when the
// condition's status, reason or message does (so an unchanged state writes nothing), and the
// merge with conditions other writers own.

import {
  CONDITION_CHILD_SERVICE_READY,
  CONDITION_READY,
  REASON,
  type Condition,
} from "../../api/v1alpha1.js";
import type { ChildServiceState } from "../lib/child-service-state.js";
import { compareText } from "../lib/collections.js";
import type { EndpointSummary } from "./endpoints.js";

/** A condition before its timestamp is settled. */
export type ConditionCore = Pick<Condition, "type" | "status" | "reason" | "message">;

/** The Ready condition from the endpoint counts. */
export function readyCondition(summary: EndpointSummary): ConditionCore {
  const { total, ready, fenced } = summary;
  const parts = [`${ready} of ${total} endpoints ready`];
  if (fenced > 0) parts.push(`${fenced} fenced because their node agent stopped heartbeating`);
  if (summary.statuses.length < summary.pods) {
    parts.push(
      `endpointStatuses lists ${summary.statuses.length} of ${summary.pods} pods, not-ready first`,
    );
  }
  const message = parts.join("; ");
  if (total === 0) {
    return {
      type: CONDITION_READY,
      status: "False",
      reason: REASON.noEndpoints,
      message: "No endpoints: no running pod with an IP matches the selector yet.",
    };
  }
  if (ready === 0) {
    return { type: CONDITION_READY, status: "False", reason: REASON.noReadyEndpoints, message };
  }
  const reason = ready === total ? REASON.allEndpointsReady : REASON.someEndpointsReady;
  return { type: CONDITION_READY, status: "True", reason, message };
}

const CHILD_REASONS: Readonly<Record<ChildServiceState, string>> = {
  Ready: REASON.childServiceCreated,
  Missing: REASON.childServiceNotCreated,
  Conflict: REASON.childServiceConflict,
  ClusterIPImmutable: REASON.childServiceClusterIPImmutable,
};

/** The ChildServiceReady condition from the shared child-service classification. */
export function childServiceCondition(state: ChildServiceState, message: string): ConditionCore {
  return {
    type: CONDITION_CHILD_SERVICE_READY,
    status: state === "Ready" ? "True" : "False",
    reason: CHILD_REASONS[state],
    message,
  };
}

/** Kubernetes-style RFC 3339 time with second precision. */
export function rfc3339(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Completes a condition: the previous lastTransitionTime is kept unless status, reason or message
 * changed; observedGeneration is the SWH's generation.
 */
export function settleCondition(
  core: ConditionCore,
  previous: Condition | undefined,
  generation: number,
  now: Date,
): Condition {
  const unchanged =
    previous !== undefined &&
    previous.status === core.status &&
    previous.reason === core.reason &&
    previous.message === core.message &&
    previous.lastTransitionTime !== "";
  return {
    ...core,
    lastTransitionTime: unchanged ? previous.lastTransitionTime : rfc3339(now),
    observedGeneration: generation,
  };
}

/** Condition types this hook no longer writes and removes: the Go controller's legacy one. */
const DROPPED_CONDITIONS: ReadonlySet<string> = new Set(["ChildService"]);

/**
 * The SWH's conditions after this run: `cores` settled against the stored ones, conditions of
 * other types kept (except the dropped legacy type), sorted by type.
 */
export function buildConditions(
  stored: readonly Condition[],
  cores: readonly ConditionCore[],
  generation: number,
  now: Date,
): Condition[] {
  const previous = new Map(stored.map(c => [c.type, c]));
  const ours = new Set(cores.map(c => c.type));
  const kept = stored.filter(c => !ours.has(c.type) && !DROPPED_CONDITIONS.has(c.type));
  const settled = cores.map(c => settleCondition(c, previous.get(c.type), generation, now));
  return [...kept, ...settled].sort((a, b) => compareText(a.type, b.type));
}
