// Readiness of one endpoint from its probe states, and the EndpointSlice conditions that follow.
//
// healthy = every probe's thresholded state is healthy and no static failure exists; with
// requirePodReady, the pod's Ready condition too; with no probes at all, the pod's Ready
// condition alone (a plain Service). Conditions follow the EndpointSlice controller:
//   serving     = healthy                 (publishNotReadyAddresses: true)
//   terminating = pod has a deletionTimestamp
//   ready       = serving && !terminating (publishNotReadyAddresses: true, even when terminating)
// With publishNotReadyAddresses the endpoint is published ready, exactly as kube-controller-
// manager does for a plain Service; the probes still run so the report and status say the truth.

import { PROBE_PENDING_REASON, type ProbeFailure } from "../../../../api/contract.js";
import type { ProbeState } from "../scheduler/types.js";
import type { DesiredEndpoint } from "./endpoints.js";

/** Failure entry used when pod readiness decides and the pod is not Ready. */
export const POD_NOT_READY: ProbeFailure = { probe: "Pod:Ready", reason: "pod is not Ready" };

/** Reason shown for a probe that has not crossed a threshold yet (shared with the hooks). */
export { PROBE_PENDING_REASON };

/** EndpointSlice endpoint conditions. */
export interface EndpointConditions {
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
}

/** The verdict on one endpoint. */
export interface EndpointVerdict {
  /** Probes (and pod readiness where it counts) pass. */
  readonly healthy: boolean;
  /** What fails, sorted by probe name; empty when healthy. */
  readonly failures: readonly ProbeFailure[];
  readonly conditions: EndpointConditions;
  /** Latest probe time among the endpoint's probes. */
  readonly lastProbeAt?: Date;
  /** Set by applyDrain (desired/drain.ts) when the endpoint is drained or being restored. */
  readonly drain?: "drained" | "restoring";
}

function failureOf(name: string, state: ProbeState | undefined): ProbeFailure | undefined {
  if (state?.known && state.healthy) return undefined;
  const reason = state?.known ? state.reason || "probe failed" : PROBE_PENDING_REASON;
  return { probe: name, reason };
}

function later(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  return b && b > a ? b : a;
}

function probeFailures(
  endpoint: DesiredEndpoint,
  stateOf: (workerKey: string) => ProbeState | undefined,
): { failures: ProbeFailure[]; lastProbeAt?: Date } {
  const failures: ProbeFailure[] = [];
  let lastProbeAt: Date | undefined;
  for (const probe of endpoint.probes) {
    const state = stateOf(probe.workerKey);
    lastProbeAt = later(lastProbeAt, state?.lastProbeAt);
    const failure = failureOf(probe.name, state);
    if (failure) failures.push(failure);
  }
  return lastProbeAt ? { failures, lastProbeAt } : { failures };
}

/** Evaluates an endpoint against the current probe states. */
export function evaluateEndpoint(
  endpoint: DesiredEndpoint,
  stateOf: (workerKey: string) => ProbeState | undefined,
  publishNotReadyAddresses: boolean,
): EndpointVerdict {
  const { failures, lastProbeAt } = probeFailures(endpoint, stateOf);
  failures.push(...endpoint.failures);
  const podGates = !endpoint.hasProbes || endpoint.requirePodReady;
  if (podGates && !endpoint.podReady) failures.push(POD_NOT_READY);
  failures.sort((a, b) => (a.probe < b.probe ? -1 : a.probe > b.probe ? 1 : 0));
  const healthy = failures.length === 0;
  const terminating = endpoint.terminating;
  const serving = publishNotReadyAddresses || healthy;
  const ready = publishNotReadyAddresses || (healthy && !terminating);
  return {
    healthy,
    failures,
    conditions: { ready, serving, terminating },
    ...(lastProbeAt ? { lastProbeAt } : {}),
  };
}
