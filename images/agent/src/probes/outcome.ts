// Small helpers every prober shares: building ProbeOutcome values with a duration, and turning
// a thrown error into a short, stable, credential-free reason ("connect ECONNREFUSED", "timeout
// after 1000 ms"), so the status and the metrics show the same words for the same failure.

import { performance } from "node:perf_hooks";
import { MAX_REASON_LENGTH, truncate } from "../../../../api/endpoint-reports.js";
import type { ProbeOutcome } from "./types.js";

/** Longest reason we report (the one the endpoint reports keep); status stays readable. */
export { MAX_REASON_LENGTH };

/** Milliseconds on a monotonic clock, for measuring probe durations. */
export function monotonicMs(): number {
  return performance.now();
}

/** A passing outcome for a probe that started at `startedAt` (from monotonicMs). */
export function passed(startedAt: number): ProbeOutcome {
  return { ok: true, reason: "", durationMs: monotonicMs() - startedAt };
}

/** A failing outcome with `reason` (cut to MAX_REASON_LENGTH). */
export function failed(startedAt: number, reason: string): ProbeOutcome {
  return {
    ok: false,
    reason: truncate(reason, MAX_REASON_LENGTH),
    durationMs: monotonicMs() - startedAt,
  };
}

/** The reason used when a probe runs out of time. */
export function timeoutReason(timeoutMs: number): string {
  return `timeout after ${timeoutMs} ms`;
}

/**
 * A short reason for a network or TLS error: `<step> <CODE>` when the error carries a system or
 * OpenSSL code (stable, greppable), otherwise `<step>: <first line of the message>`.
 */
export function errorReason(step: string, error: unknown): string {
  const code = errorCode(error);
  if (code !== undefined) return `${step} ${code}`;
  return `${step}: ${firstLine(error instanceof Error ? error.message : String(error))}`;
}

/** The `code` of a Node.js system, TLS or library error, if it has a string one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  const code = error.code;
  return typeof code === "string" && code !== "" ? code : undefined;
}

function firstLine(text: string): string {
  const newline = text.indexOf("\n");
  return newline < 0 ? text : text.slice(0, newline);
}
