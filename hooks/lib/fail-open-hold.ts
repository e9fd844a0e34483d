// The fail-open hold rule, in one place: how long the passing share must stay at or above
// failOpen.minPassingPercent before fail-open ends, and whether a hold that started at
// status.failOpen.passingSince has elapsed. The status hook decides with it (status/fail-open.ts);
// the EndpointSlice GC hook wakes the status hook with it (endpointslice-gc/fail-open-wakeup.ts).

import { HEALTHCHECK_DEFAULTS } from "../../api/v1alpha1.js";

/** The shortest hold before fail-open ends (ms). */
export const MIN_FAIL_OPEN_HOLD_MS = 30_000;

/** The hold for a probe period (default when unset): 30 s, or two periods when longer. */
export function failOpenHoldMs(periodSeconds: number | undefined): number {
  const period = periodSeconds ?? HEALTHCHECK_DEFAULTS.periodSeconds;
  return Math.max(MIN_FAIL_OPEN_HOLD_MS, 2 * period * 1000);
}

/**
 * Whether a hold that started at `passingSince` (RFC 3339) is over at `nowMs`. An unreadable
 * time counts as over: the status hook then restarts the hold (fail-open.ts), so waking it is
 * what repairs it.
 */
export function holdElapsed(
  passingSince: string,
  periodSeconds: number | undefined,
  nowMs: number,
): boolean {
  const heldMs = nowMs - Date.parse(passingSince);
  return !Number.isFinite(heldMs) || heldMs >= failOpenHoldMs(periodSeconds);
}
