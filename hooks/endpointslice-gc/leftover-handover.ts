// Step two of removing kube-controller-manager's leftovers (hooks/lib/controller-leftovers.ts):
// the GC hook deletes what the child-service hook marked, once that changes nothing for the
// Service's clients or the agents have had time to decide. A migrated Service must keep serving:
// until the agents' probes pass, the leftovers are the only endpoints it has. So marked objects
// of an SWH are deleted when
// - every address they list as ready is listed as ready by the agents' slices of the same SWH
//   (deleting them removes no ready endpoint: `LeftoverReplaced`), or
// - the grace written in the mark passed since the first mark (`LeftoverExpired`; twice the time
//   the SWH's probes take to pass, 2 minutes at least: leftoverGraceSeconds): by then the agents
//   have probed every pod, and an endpoint they do not publish as ready is failing or gone, so
//   its stale copy must stop serving.
// They go together: the Endpoints object first (its mirror would come back otherwise), then the
// slices. Marks of an SWH that no longer exists, or of another SWH of the same name, are left
// alone: the garbage collector deletes those objects with their Service. Pure; the GC hook runs it.

import type { ObjectRef } from "shell-operator-ts-hooks";
import { compareText, groupBy } from "../lib/collections.js";
import {
  ENDPOINT_SLICE_API_VERSION,
  type MarkedLeftoverSnapshot,
} from "../lib/controller-leftovers.js";
import type { EndpointSliceSnapshot } from "../lib/agent-slices.js";
import type { ObjectIdentity } from "../lib/object-identity.js";
import { MIN_LEFTOVER_GRACE_SECONDS } from "../lib/leftover-marks.js";
import { readyAddressesBy } from "./legacy-slices.js";
import { objectKey } from "../lib/swh.js";

/** The grace of a mark whose grace annotation is absent or unreadable: the shortest one. */
export const LEFTOVER_HANDOVER_GRACE_MS = MIN_LEFTOVER_GRACE_SECONDS * 1000;

/** Why leftovers are deleted now. */
export type LeftoverReason = "LeftoverReplaced" | "LeftoverExpired";

/** One object to delete. */
export interface LeftoverDecision {
  readonly ref: ObjectRef;
  readonly reason: LeftoverReason;
}

/** Ready addresses of the agents' slices per `namespace/service-name` (Go slices not counted). */
export function agentReadyAddresses(
  slices: Iterable<EndpointSliceSnapshot>,
): ReadonlyMap<string, ReadonlySet<string>> {
  return readyAddressesBy(slices, s =>
    s.serviceName === undefined ? undefined : objectKey(s.namespace, s.serviceName),
  );
}

/** The reason to delete one SWH's marked leftovers now, or undefined to keep them. */
export function leftoverReason(
  leftovers: readonly MarkedLeftoverSnapshot[],
  agentsReady: ReadonlySet<string> | undefined,
  nowMs: number,
): LeftoverReason | undefined {
  const covered = leftovers.every(l => l.readyAddresses.every(a => agentsReady?.has(a) === true));
  if (covered) return "LeftoverReplaced";
  const markedAt = Math.min(...leftovers.map(l => l.replacedAtMs ?? Number.NEGATIVE_INFINITY));
  const graceMs = Math.max(...leftovers.map(l => l.graceMs ?? LEFTOVER_HANDOVER_GRACE_MS));
  return markedAt + graceMs <= nowMs ? "LeftoverExpired" : undefined;
}

function deletions(
  leftovers: readonly MarkedLeftoverSnapshot[],
  reason: LeftoverReason,
): LeftoverDecision[] {
  const [first] = leftovers;
  if (first === undefined) return [];
  const { namespace, serviceName } = first;
  const out: LeftoverDecision[] = [];
  if (leftovers.some(l => l.mirror)) {
    out.push({
      ref: { apiVersion: "v1", kind: "Endpoints", namespace, name: serviceName },
      reason,
    });
  }
  for (const name of leftovers.map(l => l.name).sort(compareText)) {
    const ref = { apiVersion: ENDPOINT_SLICE_API_VERSION, kind: "EndpointSlice", namespace, name };
    out.push({ ref, reason });
  }
  return out;
}

/**
 * Plans the deletions of marked leftovers: grouped by SWH (namespace and service name, mark =
 * the SWH's uid), each group all or nothing, in the order of first appearance. `agentSlices` are
 * the agents' slices GC keeps this run. Linear in leftovers, SWHs and agent slices.
 */
export function planLeftoverHandover(
  leftovers: readonly MarkedLeftoverSnapshot[],
  swhs: readonly ObjectIdentity[],
  agentSlices: readonly EndpointSliceSnapshot[],
  nowMs: number,
): LeftoverDecision[] {
  if (leftovers.length === 0) return [];
  const uidByKey = new Map(swhs.map(s => [objectKey(s.namespace, s.name), s.uid]));
  const ready = agentReadyAddresses(agentSlices);
  const out: LeftoverDecision[] = [];
  for (const [key, group] of groupBy(leftovers, l => objectKey(l.namespace, l.serviceName))) {
    const uid = uidByKey.get(key);
    const owned = group.filter(l => uid !== undefined && l.replacedBy === uid);
    if (owned.length === 0) continue;
    const reason = leftoverReason(owned, ready.get(key), nowMs);
    if (reason !== undefined) out.push(...deletions(owned, reason));
  }
  return out;
}
