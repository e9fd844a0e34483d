// Fail-open on this node's slices: while the status hook's cluster-wide decision applies (the
// SWH's FailOpen condition is True, see hooks/status/fail-open.ts), every candidate endpoint that
// is not terminating is published ready and serving, whatever its probes say. Only the published
// conditions change: the verdict's `healthy` and failures - what the endpoint report, the status
// and the events say - stay the probes' truth, so the hook's passing share stays truthful and
// fail-open can end. Applied after evaluateEndpoint, as a mask of its own.

import type { EndpointVerdict } from "./readiness.js";

/** The verdict as published under fail-open (`active`), or unchanged. Pure. */
export function applyFailOpen(verdict: EndpointVerdict, active: boolean): EndpointVerdict {
  const { conditions } = verdict;
  if (!active || conditions.terminating || (conditions.ready && conditions.serving)) return verdict;
  return { ...verdict, conditions: { ready: true, serving: true, terminating: false } };
}
