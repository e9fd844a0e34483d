// Encodes the per-endpoint reports carried by the `network.deckhouse.io/endpoint-reports`
// annotation. All annotations of an object share a 256 KiB limit, and a slice holds up to 1000
// endpoints, so the encoding has a byte budget and degrades in fixed steps (shorter reasons, then
// no reasons, then fewer entries) instead of failing the write. The output is deterministic:
// the same reports always give the same string, so an unchanged state never causes a write.

import type { EndpointReport, ProbeFailure } from "../../../../api/contract.js";

/** Longest failure reason kept in a report. */
export const MAX_REASON_LENGTH = 200;

/** Byte budget of the annotation value (well under the 256 KiB shared by all annotations). */
export const REPORTS_BUDGET_BYTES = 128 * 1024;

/** Cuts `text` to at most `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return text.slice(0, Math.max(0, max));
  return `${text.slice(0, max - 1)}…`;
}

function withReasons(reports: readonly EndpointReport[], max: number): EndpointReport[] {
  return reports.map(r => ({
    ...r,
    failedProbes: r.failedProbes.map((f): ProbeFailure => ({
      probe: f.probe,
      reason: truncate(f.reason, max),
    })),
  }));
}

/** Sorts reports by pod name, then address (the order the status hook and humans expect). */
export function sortReports(reports: readonly EndpointReport[]): EndpointReport[] {
  return [...reports].sort((a, b) => {
    if (a.pod !== b.pod) return a.pod < b.pod ? -1 : 1;
    return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
  });
}

/** Serialises reports within `budget` bytes (see the file header for how it degrades). */
export function encodeReports(
  reports: readonly EndpointReport[],
  budget: number = REPORTS_BUDGET_BYTES,
): string {
  const sorted = sortReports(reports);
  for (const max of [MAX_REASON_LENGTH, 40, 0]) {
    const text = JSON.stringify(withReasons(sorted, max));
    if (Buffer.byteLength(text) <= budget) return text;
  }
  const bare = withReasons(sorted, 0);
  let count = bare.length;
  let text = JSON.stringify(bare);
  while (count > 0 && Buffer.byteLength(text) > budget) {
    count = Math.floor(count * 0.9);
    text = JSON.stringify(bare.slice(0, count));
  }
  return text;
}
