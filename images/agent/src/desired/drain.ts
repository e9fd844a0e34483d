// Per-endpoint drain (issue #12): the pod annotation `network.deckhouse.io/drain-from` lists the
// ServiceWithHealthchecks (or `*`) a pod's endpoints are taken out of. Pure rules only: parsing
// the annotation, whether it names an SWH, when a drain that was removed is over, and how a drain
// changes an endpoint's verdict. The memory of drains (when one began, when it was removed) is
// sync/drain-tracker.ts.
//
// A drained endpoint is published `ready: false, serving: false` even with
// publishNotReadyAddresses: draining is an explicit operator action, and a Service that publishes
// not-ready addresses would otherwise keep sending new connections to it. `terminating` is left
// as it is. Probes keep running, so the report says the truth and the drain can end cleanly.

import {
  ANNOTATION_DRAIN_FROM,
  DRAIN_FROM_ALL,
  DRAIN_PROBE,
  type ProbeFailure,
} from "../../../../api/contract.js";
import type { ProbeState } from "../scheduler/types.js";
import type { EndpointProbe } from "./endpoints.js";
import type { EndpointVerdict } from "./readiness.js";

/** What a pod's drain annotation says, parsed. */
export interface DrainSelection {
  /** `*` was listed: every SWH. */
  readonly all: boolean;
  /** The SWH names listed (valid names only), sorted, without duplicates. */
  readonly names: readonly string[];
  /** Entries that are neither `*` nor a valid resource name (ignored; the agent warns). */
  readonly invalid: readonly string[];
}

/** Where an endpoint is in a drain: drained, or drain removed and awaiting a passing result. */
export type DrainPhase = "drained" | "restoring";

/** The Drain entry of a drained endpoint. */
export const DRAINED_FAILURE: ProbeFailure = {
  probe: DRAIN_PROBE,
  reason: `drained by annotation ${ANNOTATION_DRAIN_FROM}`,
};

/** The Drain entry of an endpoint whose drain was removed, until a probe result passes. */
export const RESTORING_FAILURE: ProbeFailure = {
  probe: DRAIN_PROBE,
  reason: `annotation ${ANNOTATION_DRAIN_FROM} removed, awaiting a passing probe result`,
};

/** A DNS-1123 subdomain, the rule for ServiceWithHealthchecks names. */
const RESOURCE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_RESOURCE_NAME = 253;

/**
 * Parses the annotation's value: comma-separated entries, whitespace around each ignored, empty
 * entries skipped. Undefined when there is nothing to drain (absent or empty), so pods without
 * the annotation keep their snapshot as it was.
 */
export function parseDrainFrom(value: string | undefined): DrainSelection | undefined {
  if (value === undefined) return undefined;
  const entries = value
    .split(",")
    .map(e => e.trim())
    .filter(e => e !== "");
  if (entries.length === 0) return undefined;
  const names = new Set<string>();
  const invalid: string[] = [];
  let all = false;
  for (const entry of entries) {
    if (entry === DRAIN_FROM_ALL) all = true;
    else if (entry.length <= MAX_RESOURCE_NAME && RESOURCE_NAME.test(entry)) names.add(entry);
    else invalid.push(entry);
  }
  return { all, names: [...names].sort(), invalid };
}

/** Whether `selection` drains the pod's endpoints of SWH `swhName`. */
export function drains(selection: DrainSelection | undefined, swhName: string): boolean {
  if (selection === undefined) return false;
  return selection.all || selection.names.includes(swhName);
}

/**
 * Whether a drain removed at `removedAt` is over for an endpoint with `probes`: every probe has
 * a result that arrived after the removal, and its latest raw result passed (a result from before
 * the removal, or the thresholded state alone, does not count: an endpoint must not come back on
 * a stale verdict). An endpoint without probes (pod readiness decides) is restored at once: the
 * pod's Ready condition is always current.
 */
export function drainOver(
  probes: readonly EndpointProbe[],
  removedAt: number,
  stateOf: (workerKey: string) => ProbeState | undefined,
): boolean {
  return probes.every(probe => {
    const state = stateOf(probe.workerKey);
    const at = state?.lastProbeAt?.getTime();
    return at !== undefined && at > removedAt && state?.lastOk === true;
  });
}

/**
 * The verdict of an endpoint in drain `phase`: not healthy, not ready, not serving (even with
 * publishNotReadyAddresses), with the Drain entry among its failures; the probe failures stay.
 * Without a phase, the verdict as it is.
 */
export function applyDrain(
  verdict: EndpointVerdict,
  phase: DrainPhase | undefined,
): EndpointVerdict {
  if (phase === undefined) return verdict;
  const entry = phase === "drained" ? DRAINED_FAILURE : RESTORING_FAILURE;
  const failures = [...verdict.failures, entry].sort((a, b) =>
    a.probe < b.probe ? -1 : a.probe > b.probe ? 1 : 0,
  );
  return {
    ...verdict,
    healthy: false,
    failures,
    conditions: { ready: false, serving: false, terminating: verdict.conditions.terminating },
    drain: phase,
  };
}
