// What a PostgreSQL client saw across a switchover (pure: the e2e scenario feeds it the client
// pod's sql-load reports): for the write loop, how long after the fence the first write landed
// on the new primary, how many attempts failed in between and after, and why they failed; for
// the read loop, which servers answered and which reads failed. Failures are sorted by what
// caused them, so a scenario can tell the fenced server (refused, shutting down) from a write
// that reached a standby (read-only) or a server that did not answer (timeout).
import type { SqlLoadReport, SqlSample } from "../backends/sql-load.js";

/** Why an attempt failed. */
export type FailureKind =
  /** Nothing listens: the stopped (fenced) server's pod refused the connection. */
  | "refused"
  /** The server is shutting down or terminated the session (SQLSTATE 57P01, 57P02, 57P03). */
  | "shutting-down"
  /** The connection ended under the client (a server going away mid-attempt). */
  | "terminated"
  /** A write reached a standby (SQLSTATE 25006). */
  | "read-only"
  /** No answer within the attempt's timeout. */
  | "timeout"
  | "other";

/** Kinds of failure the fenced server causes, and nothing else. */
export const FENCED_SERVER_FAILURES: readonly FailureKind[] = [
  "refused",
  "shutting-down",
  "terminated",
];

/** The kind of a failed attempt. */
export function failureKind(sample: Pick<SqlSample, "code" | "error">): FailureKind {
  const code = sample.code ?? "";
  const message = sample.error ?? "";
  if (code === "ECONNREFUSED") return "refused";
  if (["57P01", "57P02", "57P03"].includes(code)) return "shutting-down";
  if (code === "25006") return "read-only";
  if (/timeout/i.test(message) || code === "ETIMEDOUT") return "timeout";
  if (code === "ECONNRESET" || code === "EPIPE" || /terminated unexpectedly/i.test(message)) {
    return "terminated";
  }
  return "other";
}

/** Failures counted by kind (only kinds seen). */
export function failuresByKind(
  samples: readonly SqlSample[],
): Partial<Record<FailureKind, number>> {
  const out: Partial<Record<FailureKind, number>> = {};
  for (const s of samples.filter(x => !x.ok)) {
    const kind = failureKind(s);
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

/** Successful attempts counted by the pod that answered (`?` when unnamed). */
export function answersByPod(samples: readonly SqlSample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples.filter(x => x.ok)) out[s.pod ?? "?"] = (out[s.pod ?? "?"] ?? 0) + 1;
  return out;
}

/** The attempts before and after `fenceAt` (epoch ms), and the fence in load time. */
export function splitAtFence(
  report: SqlLoadReport,
  fenceAt: number,
): { before: SqlSample[]; after: SqlSample[]; fenceMs: number } {
  const fenceMs = fenceAt - report.startedAt;
  return {
    before: report.samples.filter(s => s.at < fenceMs),
    after: report.samples.filter(s => s.at >= fenceMs),
    fenceMs,
  };
}

/** What any loop saw around the fence. */
export interface FenceSummary {
  readonly sentBeforeFence: number;
  readonly failedBeforeFence: number;
  readonly sentAfterFence: number;
  /** Failed attempts after the fence, all of them. */
  readonly failedAfterFence: number;
  /** Fence -> start of the last failed attempt (ms): the end of the disruption; 0 when none. */
  readonly lastFailureMs: number;
  readonly failuresByKind: Partial<Record<FailureKind, number>>;
}

/** Counts a loop's attempts and failures on both sides of the fence. */
export function fenceSummary(
  parts: { readonly before: readonly SqlSample[]; readonly after: readonly SqlSample[] },
  fenceMs: number,
): FenceSummary {
  const failed = parts.after.filter(s => !s.ok);
  const last = failed.at(-1);
  return {
    sentBeforeFence: parts.before.length,
    failedBeforeFence: parts.before.filter(s => !s.ok).length,
    sentAfterFence: parts.after.length,
    failedAfterFence: failed.length,
    lastFailureMs: last ? last.at - fenceMs : 0,
    failuresByKind: failuresByKind(parts.after),
  };
}

/** What the write loop saw. */
export interface WriteSwitchoverOutcome extends FenceSummary {
  /** Fence -> start of the first successful write on the new primary (ms); undefined if none. */
  readonly firstWriteOnNewPrimaryMs: number | undefined;
  /** Failed attempts between the fence and that first write. */
  readonly failedBeforeFirstWrite: number;
  /** Writes the old primary took after the fence began, before its server had stopped. */
  readonly landedOnOldPrimaryWhileFencing: number;
  /**
   * Successful writes after the fence that landed neither on the new primary out of recovery nor
   * on the old primary before it had stopped.
   */
  readonly landedElsewhere: number;
  /** Successful writes before the fence that did not land on the old primary. */
  readonly landedElsewhereBeforeFence: number;
}

/**
 * Analyses a write loop across a switchover from `oldPrimary` to `newPrimary`: the fence began at
 * `fenceAt` and the old primary's server had stopped at `fencedAt` (epoch ms).
 */
export function writeSwitchoverOutcome(
  report: SqlLoadReport,
  times: { readonly fenceAt: number; readonly fencedAt: number },
  pods: { readonly oldPrimary: string; readonly newPrimary: string },
): WriteSwitchoverOutcome {
  const { before, after, fenceMs } = splitAtFence(report, times.fenceAt);
  const fencedMs = times.fencedAt - report.startedAt;
  const onNew = (s: SqlSample): boolean =>
    s.ok && s.pod === pods.newPrimary && s.inRecovery === false;
  const onOldWhileFencing = (s: SqlSample): boolean =>
    s.ok && s.pod === pods.oldPrimary && s.at < fencedMs;
  const first = after.find(onNew);
  const untilFirst = first ? after.filter(s => s.at < first.at) : after;
  return {
    ...fenceSummary({ before, after }, fenceMs),
    firstWriteOnNewPrimaryMs: first ? first.at - fenceMs : undefined,
    failedBeforeFirstWrite: untilFirst.filter(s => !s.ok).length,
    landedOnOldPrimaryWhileFencing: after.filter(onOldWhileFencing).length,
    landedElsewhere: after.filter(s => s.ok && !onNew(s) && !onOldWhileFencing(s)).length,
    landedElsewhereBeforeFence: before.filter(s => s.ok && s.pod !== pods.oldPrimary).length,
  };
}

/** What the read loop saw. */
export interface ReadSwitchoverOutcome extends FenceSummary {
  /** Successful reads after the fence by the pod that answered. */
  readonly answeredBy: Record<string, number>;
}

/** Analyses a read loop across a switchover fenced at `fenceAt`. */
export function readSwitchoverOutcome(
  report: SqlLoadReport,
  fenceAt: number,
): ReadSwitchoverOutcome {
  const { before, after, fenceMs } = splitAtFence(report, fenceAt);
  return {
    ...fenceSummary({ before, after }, fenceMs),
    answeredBy: answersByPod(after),
  };
}
