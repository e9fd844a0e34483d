// The fail-open part of an SWH's status: the decision (fail-open.ts) over the counts of its
// slices (fail-open-counts.ts), written as `status.failOpen` and the `FailOpen` condition, and the
// transition of this run (for the event and the log). Only SWHs with spec.healthcheck.failOpen
// get either; removing the field removes both (and ends fail-open at once).
//
// The condition's lastTransitionTime moves only when its status does (the Kubernetes meaning),
// not with the numbers in its message, so it says since when fail-open is on (or off).

import { CONDITION_FAIL_OPEN, type Condition, type FailOpenStatus } from "../../api/v1alpha1.js";
import type { EndpointSliceSnapshot } from "../lib/agent-slices.js";
import { compareText } from "../lib/collections.js";
import { rfc3339 } from "./conditions.js";
import { countFailOpen } from "./fail-open-counts.js";
import { decideFailOpen, type FailOpenCounts, type FailOpenDecision } from "./fail-open.js";
import type { StatusSwh } from "./snapshots.js";

/** A change of `active` in this run. */
export interface FailOpenTransition {
  readonly started: boolean;
  readonly message: string;
  /** lastTransitionTime of the condition before this run ("" without one): names the event. */
  readonly previousTransitionTime: string;
}

/** The fail-open part of one SWH's desired status. */
export interface FailOpenOutcome {
  /** status.failOpen; undefined when the SWH has no spec.healthcheck.failOpen. */
  readonly status?: FailOpenStatus;
  /** The FailOpen condition; undefined likewise (a stored one is removed). */
  readonly condition?: Condition;
  readonly transition?: FailOpenTransition;
}

function previousCondition(swh: StatusSwh): Condition | undefined {
  return swh.status.conditions.find(c => c.type === CONDITION_FAIL_OPEN);
}

function condition(
  decision: FailOpenDecision,
  previous: Condition | undefined,
  generation: number,
  now: Date,
): Condition {
  const status = decision.active ? "True" : "False";
  const keep = previous !== undefined && previous.status === status && previous.lastTransitionTime;
  return {
    type: CONDITION_FAIL_OPEN,
    status,
    reason: decision.reason,
    message: decision.message,
    lastTransitionTime: keep ? previous.lastTransitionTime : rfc3339(now),
    observedGeneration: generation,
  };
}

function statusOf(decision: FailOpenDecision, counts: FailOpenCounts): FailOpenStatus {
  return {
    active: decision.active,
    passingEndpoints: counts.passing,
    probedEndpoints: counts.probed,
    ...(decision.passingSince === undefined ? {} : { passingSince: decision.passingSince }),
  };
}

/** The fail-open status, condition and transition of one SWH. Pure. */
export function failOpenOutcome(
  swh: StatusSwh,
  slices: readonly EndpointSliceSnapshot[],
  now: Date,
): FailOpenOutcome {
  const wasActive = swh.storedFailOpen?.active === true;
  const previous = previousCondition(swh);
  const previousTransitionTime = previous?.lastTransitionTime ?? "";
  if (swh.failOpen === undefined) {
    if (!wasActive) return {};
    const message =
      "spec.healthcheck.failOpen was removed: endpoints are published by their probes.";
    return { transition: { started: false, message, previousTransitionTime } };
  }
  const counts = countFailOpen(swh, slices);
  const decision = decideFailOpen(
    swh.failOpen,
    counts,
    swh.storedFailOpen ?? { active: false },
    now,
  );
  const outcome = {
    status: statusOf(decision, counts),
    condition: condition(decision, previous, swh.generation, now),
  };
  if (decision.active === wasActive) return outcome;
  return {
    ...outcome,
    transition: { started: decision.active, message: decision.message, previousTransitionTime },
  };
}

/** `conditions` with the FailOpen condition replaced by `failOpen` (or removed), sorted by type. */
export function withFailOpenCondition(
  conditions: readonly Condition[],
  failOpen: Condition | undefined,
): Condition[] {
  const others = conditions.filter(c => c.type !== CONDITION_FAIL_OPEN);
  const all = failOpen === undefined ? others : [...others, failOpen];
  return all.sort((a, b) => compareText(a.type, b.type));
}
