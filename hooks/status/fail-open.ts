// The fail-open decision of one SWH (spec.healthcheck.failOpen, Envoy's panic threshold), as a
// pure function of the settings, the counts of this run, the decision stored in the SWH's status
// and the time. The status hook makes it once for the whole cluster from every agent's reports;
// every agent follows the FailOpen condition it leads to, so all nodes publish alike.
//
// Hysteresis: fail-open starts as soon as the passing share falls below minPassingPercent, and
// ends only once the share has stayed at or above it for the hold time (`passingSince` in the
// status, so the hold survives hook restarts: hooks keep no memory between runs). A dip below
// the minimum during the hold starts the hold again, so the decision never flaps around the
// threshold. Endpoints without a probe result yet are not counted in the share; fail-open starts
// only if the share would stay below the minimum even were they all to pass, and when none has
// a result the previous decision stands (fail-open never starts because probes have not run yet).

import { REASON } from "../../api/v1alpha1.js";
import { rfc3339 } from "./conditions.js";

/** The settings of one SWH. */
export interface FailOpenSettings {
  /** 1-100. */
  readonly minPassingPercent: number;
  /** How long the share must hold at or above the minimum (ms; hooks/lib/fail-open-hold.ts). */
  readonly holdMs: number;
}

/** The endpoints of one SWH as the decision counts them. */
export interface FailOpenCounts {
  /** Endpoints the agents would publish: not terminating, not fenced. */
  readonly candidates: number;
  /** Candidates with a probe result (passing or failing), the share's denominator. */
  readonly probed: number;
  /** Probed candidates whose probes pass. */
  readonly passing: number;
}

/** The decision stored in the SWH's status by the previous run. */
export interface StoredFailOpen {
  readonly active: boolean;
  /** RFC 3339. */
  readonly passingSince?: string;
}

/** This run's decision. */
export interface FailOpenDecision {
  readonly active: boolean;
  /** While active: since when the share has been at or above the minimum (RFC 3339). */
  readonly passingSince?: string;
  readonly reason: string;
  readonly message: string;
}

/** Integer percent, rounded down (so a share shown below the minimum is below it). */
function percent(passing: number, probed: number): number {
  return Math.floor((passing * 100) / probed);
}

function shareText(c: FailOpenCounts, min: number, relation: string): string {
  return `${c.passing} of ${c.probed} endpoints pass (${percent(c.passing, c.probed)}%), ${relation} failOpen.minPassingPercent ${min}`;
}

/** The decision while no candidate has a probe result: the previous one stands. */
function awaiting(c: FailOpenCounts, previous: StoredFailOpen): FailOpenDecision {
  const what = previous.active ? `stays on: publishing all ${c.candidates}` : "stays off";
  return {
    active: previous.active,
    reason: REASON.awaitingProbeResults,
    message: `None of ${c.candidates} endpoints has a probe result yet: fail-open ${what}.`,
  };
}

/**
 * True when the endpoints still awaiting a first result would lift the share to the minimum if
 * they all passed. Fail-open only starts when they could not: one early failure among pods that
 * have not been probed yet (a rollout, the first seconds after start-up) is no reason to publish
 * everything.
 */
function couldStillReach(c: FailOpenCounts, min: number): boolean {
  const awaitingResults = c.candidates - c.probed;
  return (c.passing + awaitingResults) * 100 >= min * c.candidates;
}

/** The decision while the share is below the minimum but awaiting endpoints could lift it. */
function awaitingOthers(c: FailOpenCounts, min: number): FailOpenDecision {
  const waiting = c.candidates - c.probed;
  return {
    active: false,
    reason: REASON.awaitingProbeResults,
    message: `${shareText(c, min, "below")}, but ${waiting} of ${c.candidates} endpoints await their first probe results: fail-open stays off.`,
  };
}

/** Decides fail-open for one SWH (see file header). Pure. */
export function decideFailOpen(
  settings: FailOpenSettings,
  counts: FailOpenCounts,
  previous: StoredFailOpen,
  now: Date,
): FailOpenDecision {
  const min = settings.minPassingPercent;
  const c = counts;
  if (c.candidates === 0) {
    return { active: false, reason: REASON.noEndpoints, message: "No endpoints to publish." };
  }
  if (c.probed === 0) return awaiting(c, previous);
  const below = c.passing * 100 < min * c.probed;
  if (below && !previous.active && couldStillReach(c, min)) return awaitingOthers(c, min);
  if (below) {
    return {
      active: true,
      reason: REASON.tooFewPassing,
      message: `${shareText(c, min, "below")}: publishing all ${c.candidates}.`,
    };
  }
  const enough = shareText(c, min, "at or above");
  if (!previous.active)
    return { active: false, reason: REASON.enoughPassing, message: `${enough}.` };
  const since = previous.passingSince ?? rfc3339(now);
  const heldMs = now.getTime() - Date.parse(since);
  // An unreadable time restarts the hold rather than ending fail-open at once.
  if (!Number.isFinite(heldMs)) return holding(c, enough, rfc3339(now), settings);
  if (heldMs >= settings.holdMs) {
    return {
      active: false,
      reason: REASON.enoughPassing,
      message: `${enough}, held for ${Math.round(settings.holdMs / 1000)} s: fail-open ended.`,
    };
  }
  return holding(c, enough, since, settings);
}

function holding(
  c: FailOpenCounts,
  enough: string,
  since: string,
  settings: FailOpenSettings,
): FailOpenDecision {
  const hold = Math.round(settings.holdMs / 1000);
  return {
    active: true,
    passingSince: since,
    reason: REASON.passingAgain,
    message: `${enough} since ${since}: publishing all ${c.candidates} until that has held for ${hold} s.`,
  };
}
