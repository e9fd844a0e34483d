// One run of the status hook as a pure function: every SWH's desired status from all snapshots
// (batch hooks always get them all), and the status writes needed - none for an SWH whose stored
// status already means the same - plus an Event for each fail-open transition.

import type { CreatePatchOperation, MergePatchOperation } from "shell-operator-ts-hooks";
import { SWH_API_VERSION, SWH_KIND } from "../../api/contract.js";
import type { EndpointSliceSnapshot } from "../lib/agent-slices.js";
import type { ServiceSnapshot } from "../lib/child-service-state.js";
import { groupBy } from "../lib/collections.js";
import { objectKey } from "../lib/swh.js";
import { desiredStatus } from "./desired.js";
import { statusMergePatch } from "./diff.js";
import { failOpenEventOperation } from "./fail-open-events.js";
import { terminatingNamespaceNames, type TerminatingNamespace } from "../lib/namespaces.js";
import type { SwhWithStatus } from "./snapshots.js";

/** One status write. */
export interface StatusWrite {
  readonly namespace: string;
  readonly name: string;
  readonly mergePatch: Record<string, unknown>;
}

/**
 * A write as the operator applies it: a MergePatch on the status subresource (still a patch of
 * the whole object: the API server takes only `.status` from it and drops anything else), of an
 * SWH that may be gone by then. Pure.
 */
export function statusOperation(write: StatusWrite): MergePatchOperation {
  return {
    operation: "MergePatch",
    apiVersion: SWH_API_VERSION,
    kind: SWH_KIND,
    namespace: write.namespace,
    name: write.name,
    subresource: "status",
    mergePatch: { status: write.mergePatch },
    ignoreMissingObject: true,
  };
}

/** Per-SWH numbers for metrics. */
export interface SwhStatusSummary {
  readonly namespace: string;
  readonly name: string;
  readonly total: number;
  readonly ready: number;
  readonly childReady: boolean;
  /** Whether fail-open applies; undefined without spec.healthcheck.failOpen. */
  readonly failOpen?: boolean;
}

/** A fail-open transition of this run, for the log. */
export interface FailOpenChange {
  readonly namespace: string;
  readonly name: string;
  readonly started: boolean;
  readonly message: string;
}

/** What one run writes and reports. */
export interface StatusPlan {
  readonly writes: readonly StatusWrite[];
  readonly summaries: readonly SwhStatusSummary[];
  /** Events of fail-open transitions (CreateIfNotExists), after the status writes. */
  readonly events: readonly CreatePatchOperation[];
  readonly failOpenChanges: readonly FailOpenChange[];
}

/** Snapshots the planner reads. */
export interface StatusSnapshots {
  readonly swhs: readonly SwhWithStatus[];
  readonly services: readonly ServiceSnapshot[];
  readonly slices: readonly EndpointSliceSnapshot[];
  /** Namespaces being deleted: no Event is created there. */
  readonly namespaces?: readonly TerminatingNamespace[];
}

/** Slices by the `namespace/name` of the SWH they name (service-name label); unnamed dropped. */
function groupSlicesBySwh(
  slices: readonly EndpointSliceSnapshot[],
): ReadonlyMap<string, EndpointSliceSnapshot[]> {
  const named = slices.filter(s => s.serviceName !== undefined);
  return groupBy(named, s => objectKey(s.namespace, s.serviceName!));
}

/**
 * Computes every SWH's status and the writes needed: linear in SWHs + Services + slices (indexes
 * by namespace/name, no nested scans). SWHs being deleted are skipped.
 */
export function planStatus(snapshots: StatusSnapshots, now: Date): StatusPlan {
  const slicesBySwh = groupSlicesBySwh(snapshots.slices);
  const services = new Map(snapshots.services.map(s => [objectKey(s.namespace, s.name), s]));
  const terminating = terminatingNamespaceNames(snapshots.namespaces ?? []);
  const writes: StatusWrite[] = [];
  const summaries: SwhStatusSummary[] = [];
  const events: CreatePatchOperation[] = [];
  const failOpenChanges: FailOpenChange[] = [];
  for (const { swh, currentStatus } of snapshots.swhs) {
    if (swh.deletionTimestamp !== undefined) continue;
    const key = objectKey(swh.namespace, swh.name);
    const desired = desiredStatus(swh, slicesBySwh.get(key) ?? [], services.get(key), now);
    const { namespace, name } = swh;
    summaries.push({
      namespace,
      name,
      total: desired.summary.total,
      ready: desired.summary.ready,
      childReady: desired.childState === "Ready",
      ...(desired.status.failOpen ? { failOpen: desired.status.failOpen.active } : {}),
    });
    const mergePatch = statusMergePatch(desired.status, currentStatus);
    if (mergePatch !== undefined) writes.push({ namespace, name, mergePatch });
    const transition = desired.failOpen.transition;
    if (transition === undefined) continue;
    failOpenChanges.push({
      namespace,
      name,
      started: transition.started,
      message: transition.message,
    });
    if (!terminating.has(namespace)) events.push(failOpenEventOperation(swh, transition, now));
  }
  return { writes, summaries, events, failOpenChanges };
}
