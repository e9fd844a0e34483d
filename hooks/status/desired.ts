// The status an SWH should have, computed from its slices and its child Service: endpoint counts
// and the per-pod list, the Ready and ChildServiceReady conditions, the fail-open decision (with
// spec.healthcheck.failOpen), and the cluster IPs and load balancer copied from our own child
// (never from a conflicting Service).

import type { LoadBalancerIngress, ServiceWithHealthchecksStatus } from "../../api/v1alpha1.js";
import type { EndpointSliceSnapshot } from "../lib/agent-slices.js";
import {
  classifyChildService,
  controllerUid,
  type ChildServiceState,
  type ServiceSnapshot,
} from "../lib/child-service-state.js";
import { buildConditions, childServiceCondition, readyCondition } from "./conditions.js";
import { summarizeEndpoints, type EndpointSummary } from "./endpoints.js";
import {
  failOpenOutcome,
  withFailOpenCondition,
  type FailOpenOutcome,
} from "./fail-open-status.js";
import type { StatusSwh } from "./snapshots.js";

type ServiceFields = Pick<
  ServiceWithHealthchecksStatus,
  "loadBalancer" | "clusterIP" | "clusterIPs"
>;

/** Status fields copied from the child Service; only our own child's are reported. */
function serviceFields(swh: StatusSwh, service: ServiceSnapshot | undefined): ServiceFields {
  // A conflicting Service's IP would mislead.
  if (service === undefined || controllerUid(service) !== swh.uid) return {};
  const out: ServiceFields = {};
  if (service.spec.clusterIP !== undefined) out.clusterIP = service.spec.clusterIP;
  if (service.spec.clusterIPs !== undefined) out.clusterIPs = [...service.spec.clusterIPs];
  if (service.spec.type === "LoadBalancer" && service.loadBalancerIngress.length > 0) {
    out.loadBalancer = {
      ingress: structuredClone(service.loadBalancerIngress) as LoadBalancerIngress[],
    };
  }
  return out;
}

/** The status the SWH should have, plus its summary (for metrics). */
export interface DesiredStatus {
  readonly status: ServiceWithHealthchecksStatus;
  readonly summary: EndpointSummary;
  readonly childState: ChildServiceState;
  /** The fail-open decision's status, condition and transition (empty without failOpen). */
  readonly failOpen: FailOpenOutcome;
}

/** Computes an SWH's status from its slices and its child Service. */
export function desiredStatus(
  swh: StatusSwh,
  slices: readonly EndpointSliceSnapshot[],
  service: ServiceSnapshot | undefined,
  now: Date,
): DesiredStatus {
  const summary = summarizeEndpoints(swh, slices);
  const child = classifyChildService(swh, service);
  const failOpen = failOpenOutcome(swh, slices, now);
  const conditions = withFailOpenCondition(
    buildConditions(
      swh.status.conditions,
      [readyCondition(summary), childServiceCondition(child.state, child.message)],
      swh.generation,
      now,
    ),
    failOpen.condition,
  );
  const status: ServiceWithHealthchecksStatus = {
    observedGeneration: swh.generation,
    conditions,
    healthcheckCondition: {
      observedGeneration: swh.generation,
      endpoints: summary.total,
      readyEndpoints: summary.ready,
    },
    readySummary: `${summary.ready}/${summary.total}`,
    ...serviceFields(swh, service),
  };
  if (failOpen.status !== undefined) status.failOpen = failOpen.status;
  if (summary.statuses.length > 0) status.endpointStatuses = [...summary.statuses];
  return { status, summary, childState: child.state, failOpen };
}
