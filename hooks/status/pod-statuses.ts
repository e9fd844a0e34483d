// From per-address endpoint statuses to the `endpointStatuses` list the CRD accepts: the list is
// a list map keyed by podName, so a pod with two addresses (dual-stack) must become one entry, or
// the API server rejects the whole status; each entry must stay within the CRD's limits; and the
// order must not depend on the order of the slices, so an unchanged state writes nothing.

import type { EndpointStatus } from "../../api/v1alpha1.js";
import { truncate } from "../../api/endpoint-reports.js";
import { compareText, groupBy } from "../lib/collections.js";

/** CRD limits on one endpointStatuses entry (crds/servicewithhealthchecks.yaml). */
export const MAX_FAILED_PROBES = 32;
export const MAX_MESSAGE_LENGTH = 4096;

function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  return b !== undefined && b > a ? b : a;
}

/** One entry for the addresses of one pod (dual-stack: one per family): ready if all are. */
function mergePodStatuses(entries: readonly EndpointStatus[]): EndpointStatus {
  const first = entries[0]!;
  if (entries.length === 1) return first;
  const merged: EndpointStatus = {
    podName: first.podName,
    address: entries.map(e => e.address ?? "").join(","),
    ready: entries.every(e => e.ready),
    probesSuccessful: entries.every(e => e.probesSuccessful),
  };
  const optional: Partial<EndpointStatus> = {
    nodeName: entries.find(e => e.nodeName !== undefined)?.nodeName,
    failedProbes: entries.flatMap(e => e.failedProbes ?? []),
    message: entries.flatMap(e => (e.message === undefined ? [] : [e.message])).join("; "),
    lastProbeTime: entries.reduce<string | undefined>(
      (t, e) => latest(t, e.lastProbeTime),
      undefined,
    ),
    lastTransitionTime: entries.reduce<string | undefined>(
      (t, e) => latest(t, e.lastTransitionTime),
      undefined,
    ),
    fenced: entries.some(e => e.fenced === true) ? true : undefined,
    drained: entries.some(e => e.drained === true) ? true : undefined,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined && value !== "" && !(Array.isArray(value) && value.length === 0)) {
      Object.assign(merged, { [key]: value });
    }
  }
  return merged;
}

/** Applies the CRD's per-entry limits in place. */
function limitEntry(entry: EndpointStatus): EndpointStatus {
  if (entry.failedProbes !== undefined && entry.failedProbes.length > MAX_FAILED_PROBES) {
    entry.failedProbes = entry.failedProbes.slice(0, MAX_FAILED_PROBES);
  }
  if (entry.message !== undefined) entry.message = truncate(entry.message, MAX_MESSAGE_LENGTH);
  return entry;
}

/**
 * One entry per pod (a dual-stack pod's addresses merged, in address order so the entry never
 * changes with the order of the slices), within the CRD's per-entry limits.
 */
export function statusesByPod(statuses: readonly EndpointStatus[]): EndpointStatus[] {
  return [...groupBy(statuses, s => s.podName).values()].map(entries => {
    entries.sort((a, b) => compareText(a.address ?? "", b.address ?? ""));
    return limitEntry(mergePodStatuses(entries));
  });
}

/** Non-ready first (they are what people look for), then by pod name and address. */
export function compareEndpointStatuses(a: EndpointStatus, b: EndpointStatus): number {
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  return compareText(a.podName, b.podName) || compareText(a.address ?? "", b.address ?? "");
}
