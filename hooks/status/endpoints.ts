// Folds the EndpointSlices of one SWH into its endpoint statuses and counts: one endpoint per
// (pod, address) across all the slices that list it (an endpoint of several port mappings sits
// in several slices), with the agent's per-endpoint report (why probes fail), the fencing mark,
// and a note for endpoints that only the Go implementation's legacy slices still list (they
// carry traffic until the GC hook hands them over, so the status counts them).

import { DRAIN_PROBE, SWH_KIND, type EndpointReport } from "../../api/contract.js";
import type { EndpointStatus } from "../../api/v1alpha1.js";
import type { EndpointSliceSnapshot } from "../lib/agent-slices.js";
import { compareEndpointStatuses, statusesByPod } from "./pod-statuses.js";

/**
 * At most this many `endpointStatuses` per SWH (non-ready first). 1,000 entries of a few hundred
 * bytes stay far below the 1.5 MiB object limit; the Ready condition says when the list is cut.
 */
export const MAX_ENDPOINT_STATUSES = 1000;

/** Message part of an endpoint only the Go implementation's slices list. */
export const LEGACY_ONLY_MESSAGE =
  "listed only by a slice of the previous (Go) agent, not probed by this module's agent yet";

interface EndpointAccumulator {
  podName: string;
  address: string;
  nodeName: string | undefined;
  ready: boolean;
  fencedAt: string | undefined;
  report: EndpointReport | undefined;
  /** Seen in legacy slices only, so far. */
  legacyOnly: boolean;
}

/** Key of one endpoint: its pod and address. */
export function endpointKey(pod: string, address: string): string {
  return `${pod}\u0000${address}`;
}

/** Slices of this SWH: same namespace and service name, and (when set) owned by its uid. */
export function belongsTo(slice: EndpointSliceSnapshot, swhUid: string): boolean {
  const swhOwners = slice.owners.filter(o => o.kind === SWH_KIND);
  return swhOwners.length === 0 || swhOwners.some(o => o.uid === swhUid);
}

function addSlice(acc: Map<string, EndpointAccumulator>, slice: EndpointSliceSnapshot): void {
  const reports = new Map(slice.reports.map(r => [endpointKey(r.pod, r.address), r]));
  for (const endpoint of slice.endpoints) {
    for (const address of endpoint.addresses) {
      const podName = endpoint.podName ?? address;
      const key = endpointKey(podName, address);
      const seen = acc.get(key);
      if (seen === undefined) {
        acc.set(key, {
          podName,
          address,
          nodeName: endpoint.nodeName ?? slice.nodeName,
          ready: endpoint.ready,
          fencedAt: slice.fencedAt,
          report: reports.get(key),
          legacyOnly: slice.legacy,
        });
        continue;
      }
      // The same endpoint in several slices (one per port mapping): ready only if ready in all.
      seen.ready &&= endpoint.ready;
      seen.fencedAt ??= slice.fencedAt;
      seen.report ??= reports.get(key);
      seen.legacyOnly &&= slice.legacy;
    }
  }
}

function endpointMessage(e: EndpointAccumulator): string | undefined {
  const parts: string[] = [];
  if (e.fencedAt !== undefined) {
    parts.push(`agent on node ${e.nodeName ?? "?"} stopped heartbeating, fenced at ${e.fencedAt}`);
  }
  if (e.legacyOnly) parts.push(LEGACY_ONLY_MESSAGE);
  for (const failure of e.report?.failedProbes ?? []) {
    parts.push(`${failure.probe}: ${failure.reason}`);
  }
  return parts.length === 0 ? undefined : parts.join("; ");
}

function toEndpointStatus(e: EndpointAccumulator): EndpointStatus {
  // The Drain entry of a drained endpoint is not a probe: it shows in the message only.
  const failed = (e.report?.failedProbes ?? []).map(f => f.probe).filter(p => p !== DRAIN_PROBE);
  const message = endpointMessage(e);
  const status: EndpointStatus = {
    podName: e.podName,
    address: e.address,
    ready: e.ready,
    probesSuccessful: e.report === undefined ? e.ready : failed.length === 0,
  };
  if (e.nodeName !== undefined) status.nodeName = e.nodeName;
  if (failed.length > 0) status.failedProbes = failed;
  if (message !== undefined) status.message = message;
  if (e.report?.lastProbeTime !== undefined) status.lastProbeTime = e.report.lastProbeTime;
  if (e.report?.lastTransitionTime !== undefined) {
    status.lastTransitionTime = e.report.lastTransitionTime;
  }
  return withFlags(status, e);
}

/** The fenced and drained flags, each only when true. */
function withFlags(status: EndpointStatus, e: EndpointAccumulator): EndpointStatus {
  if (e.fencedAt !== undefined) status.fenced = true;
  if (e.report?.drained === true) status.drained = true;
  return status;
}

/** Endpoint statuses of one SWH, sorted, with the counts over all of them. */
export interface EndpointSummary {
  readonly total: number;
  readonly ready: number;
  readonly fenced: number;
  /** Pods behind the endpoints (a dual-stack pod has two endpoints, one status entry). */
  readonly pods: number;
  /** One entry per pod, sorted, at most MAX_ENDPOINT_STATUSES. */
  readonly statuses: readonly EndpointStatus[];
}

/**
 * Folds the slices named after an SWH into its endpoint statuses: one per (pod, address). Slices
 * owned by another uid (an earlier SWH of the same name) are ignored.
 */
export function summarizeEndpoints(
  swh: { readonly uid: string },
  slices: readonly EndpointSliceSnapshot[],
): EndpointSummary {
  const acc = new Map<string, EndpointAccumulator>();
  for (const slice of slices) if (belongsTo(slice, swh.uid)) addSlice(acc, slice);
  const all = [...acc.values()].map(toEndpointStatus);
  const pods = statusesByPod(all).sort(compareEndpointStatuses);
  return {
    total: all.length,
    ready: all.filter(e => e.ready).length,
    fenced: all.filter(e => e.fenced === true).length,
    pods: pods.length,
    statuses: pods.slice(0, MAX_ENDPOINT_STATUSES),
  };
}
