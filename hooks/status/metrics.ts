// The status hook's Prometheus gauges: endpoints, ready endpoints, child Service readiness and
// (with spec.healthcheck.failOpen) whether fail-open applies, per SWH, labelled by namespace and name only (no per-endpoint series), in one metric group that
// every run replaces, so a deleted SWH's series vanish.

import type { MetricsCollector } from "shell-operator-ts-hooks";
import type { SwhStatusSummary } from "./plan.js";

/** Metric names exported by the status hook. */
export const STATUS_METRICS = {
  endpoints: "d8_swh_endpoints",
  readyEndpoints: "d8_swh_ready_endpoints",
  childServiceReady: "d8_swh_child_service_ready",
  failOpen: "d8_swh_fail_open",
} as const;

/** Metric group: every run replaces the previous run's per-SWH series (deleted SWHs vanish). */
export const STATUS_METRIC_GROUP = "swh_status";

/** Three gauges per SWH (four with failOpen), labelled by namespace and name only (no per-endpoint series). */
export function emitStatusMetrics(
  summaries: readonly SwhStatusSummary[],
  metrics: MetricsCollector,
): void {
  if (summaries.length === 0) {
    metrics.expire(STATUS_METRIC_GROUP);
    return;
  }
  const group = { group: STATUS_METRIC_GROUP };
  for (const s of summaries) {
    const labels = { namespace: s.namespace, name: s.name };
    metrics.set(STATUS_METRICS.endpoints, s.total, labels, group);
    metrics.set(STATUS_METRICS.readyEndpoints, s.ready, labels, group);
    metrics.set(STATUS_METRICS.childServiceReady, s.childReady ? 1 : 0, labels, group);
    // Only SWHs with spec.healthcheck.failOpen: 1 while every endpoint is published ready.
    if (s.failOpen !== undefined) {
      metrics.set(STATUS_METRICS.failOpen, s.failOpen ? 1 : 0, labels, group);
    }
  }
}
