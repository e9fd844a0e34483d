// The per-endpoint reports carried by the `network.deckhouse.io/endpoint-reports` annotation of
// an agent's EndpointSlice: the agent encodes them, the status hook and a restarted agent read
// them back. One module for both sides, so the format cannot drift.
//
// Encoding: all annotations of an object share a 256 KiB limit, and a slice holds up to 1000
// endpoints, so the encoding has a byte budget and degrades in fixed steps (shorter reasons, then
// no reasons, then fewer entries) instead of failing the write. The output is deterministic:
// the same reports always give the same string, so an unchanged state never causes a write.
//
// Decoding never throws: invalid entries are dropped, and text that is not a JSON array yields
// no reports and says why (one bad annotation must not fail a hook run for every SWH).

import type { EndpointReport, ProbeFailure } from "./contract.js";

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

/** Result of reading the annotation: the valid reports, or why none (or not all) could be. */
export interface ParsedReports {
  readonly reports: readonly EndpointReport[];
  readonly error?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function decodeFailure(value: unknown): ProbeFailure | undefined {
  if (!isObject(value)) return undefined;
  const probe = nonEmpty(value.probe);
  if (probe === undefined) return undefined;
  return { probe, reason: typeof value.reason === "string" ? value.reason : "" };
}

function decodeReport(value: unknown): EndpointReport | undefined {
  if (!isObject(value) || typeof value.ready !== "boolean") return undefined;
  const pod = nonEmpty(value.pod);
  const address = nonEmpty(value.address);
  if (pod === undefined || address === undefined) return undefined;
  const failedProbes = (Array.isArray(value.failedProbes) ? value.failedProbes : [])
    .map(decodeFailure)
    .filter((f): f is ProbeFailure => f !== undefined);
  const lastTransitionTime = nonEmpty(value.lastTransitionTime);
  const lastProbeTime = nonEmpty(value.lastProbeTime);
  return {
    pod,
    address,
    ready: value.ready,
    failedProbes,
    ...(lastTransitionTime === undefined ? {} : { lastTransitionTime }),
    ...(lastProbeTime === undefined ? {} : { lastProbeTime }),
    ...(value.drained === true ? { drained: true } : {}),
  };
}

/** Reads the annotation's text (undefined when the annotation is absent). */
export function decodeReports(text: string | undefined): ParsedReports {
  if (text === undefined) return { reports: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { reports: [], error: `annotation is not JSON: ${(err as Error).message}` };
  }
  if (!Array.isArray(parsed)) return { reports: [], error: "annotation is not a JSON array" };
  const reports = parsed.map(decodeReport).filter((r): r is EndpointReport => r !== undefined);
  const dropped = parsed.length - reports.length;
  return dropped === 0 ? { reports } : { reports, error: `${dropped} invalid report(s) ignored` };
}
