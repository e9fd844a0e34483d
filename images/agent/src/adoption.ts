// Restart safety: what the previous agent on this node published is adopted as the starting
// point, so a healthy endpoint never flips because the agent restarted (the Go agent started every
// endpoint as failed and withdrew the node's endpoints until probes passed again). Each existing
// endpoint's report (or, without one, its serving condition) gives the health of its probes;
// slices fenced by the hook are not adopted - their conditions were forced, not measured.

import {
  ANNOTATION_ENDPOINT_REPORTS,
  ANNOTATION_FENCED_AT,
  type EndpointReport,
} from "../../../api/contract.js";
import { decodeReports } from "../../../api/endpoint-reports.js";
import { endpointKeyOfWorkerKey } from "./desired/endpoints.js";
import type { RawEndpoint, RawEndpointSlice } from "swh-kube-client";
import { controllerUid } from "./slices/store.js";

/** The published state of one endpoint. */
export interface AdoptedEndpoint {
  /** Probes (and pod readiness where required) passed. */
  readonly healthy: boolean;
  /** Failing probes by `mode:ip:port` with their reasons; undefined when unknown (no report). */
  readonly failed?: ReadonlyMap<string, string>;
  readonly lastTransitionTime?: string;
  /** The report said the endpoint was drained (its pod's drain annotation named the SWH). */
  readonly drained?: boolean;
}

/** The adopted health of one probe worker. */
export interface AdoptedProbe {
  readonly healthy: boolean;
  readonly reason: string;
}

function parseReports(slice: RawEndpointSlice): Map<string, EndpointReport> {
  const text = slice.metadata?.annotations?.[ANNOTATION_ENDPOINT_REPORTS];
  const { reports } = decodeReports(text);
  return new Map(reports.map(report => [`${report.pod}|${report.address}`, report]));
}

function adoptEndpoint(
  endpoint: RawEndpoint,
  reports: ReadonlyMap<string, EndpointReport>,
): AdoptedEndpoint {
  const address = endpoint.addresses[0] ?? "";
  const report = reports.get(`${endpoint.targetRef?.name ?? ""}|${address}`);
  if (!report) {
    const conditions = endpoint.conditions ?? {};
    return { healthy: conditions.serving ?? conditions.ready ?? false };
  }
  return {
    healthy: report.ready,
    failed: new Map(report.failedProbes.map(f => [f.probe, f.reason])),
    ...(report.lastTransitionTime ? { lastTransitionTime: report.lastTransitionTime } : {}),
    ...(report.drained === true ? { drained: true } : {}),
  };
}

/**
 * The endpoints published in `slices`, keyed `swhUid|podUid|address` (the desired-state endpoint
 * key). Fenced slices and endpoints without a pod uid are skipped.
 */
export function adoptFromSlices(slices: readonly RawEndpointSlice[]): Map<string, AdoptedEndpoint> {
  const out = new Map<string, AdoptedEndpoint>();
  for (const slice of slices) {
    if (slice.metadata?.annotations?.[ANNOTATION_FENCED_AT] !== undefined) continue;
    const swhUid = controllerUid(slice);
    if (swhUid === "") continue;
    const reports = parseReports(slice);
    for (const endpoint of slice.endpoints ?? []) {
      const podUid = endpoint.targetRef?.uid;
      const address = endpoint.addresses?.[0];
      if (podUid && address)
        out.set(`${swhUid}|${podUid}|${address}`, adoptEndpoint(endpoint, reports));
    }
  }
  return out;
}

/**
 * The adopted health of worker `workerKey` running probe `probeName`: every probe of a healthy
 * endpoint is healthy; of an unhealthy one, the probes its report lists as failing are unhealthy
 * and the others healthy (it failed for another reason); without a report, all are unhealthy.
 */
export function adoptedProbe(
  adopted: ReadonlyMap<string, AdoptedEndpoint>,
  workerKey: string,
  probeName: string,
): AdoptedProbe | undefined {
  const endpoint = adopted.get(endpointKeyOfWorkerKey(workerKey));
  if (!endpoint) return undefined;
  if (endpoint.healthy) return { healthy: true, reason: "" };
  if (!endpoint.failed) return { healthy: false, reason: "not ready before the agent restarted" };
  const reason = endpoint.failed.get(probeName);
  return reason === undefined ? { healthy: true, reason: "" } : { healthy: false, reason };
}
