// The per-worker result state machine, as a pure function so it is tested step by step without
// timers. Like the kubelet's prober worker: consecutive identical results form a run, and the
// published result flips only when a run reaches successThreshold (to healthy) or
// failureThreshold (to unhealthy). A fresh worker is "unknown" (not healthy, not known) until
// its first threshold crossing; an adopted worker starts known, from the state it inherited.

/** The two thresholds of a probe, each at least 1. */
export interface Thresholds {
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

/** The thresholded state plus the current run of identical raw results. */
export interface ThresholdState {
  /** The published result. */
  readonly healthy: boolean;
  /** False until the first threshold crossing (or adoption). */
  readonly known: boolean;
  /** Last failure reason; "" while healthy. */
  readonly reason: string;
  /** The last raw result, undefined before the first probe. */
  readonly lastOk: boolean | undefined;
  /** How many consecutive raw results equal lastOk. */
  readonly run: number;
}

/** The state of a new worker: unknown, or the adopted state when `adoptedHealthy` is given. */
export function initialState(adoptedHealthy?: boolean): ThresholdState {
  if (adoptedHealthy === undefined) {
    return { healthy: false, known: false, reason: "", lastOk: undefined, run: 0 };
  }
  return { healthy: adoptedHealthy, known: true, reason: "", lastOk: undefined, run: 0 };
}

/** The state after one raw result. Pure: returns a new object, never mutates `state`. */
export function applyResult(
  state: ThresholdState,
  ok: boolean,
  reason: string,
  thresholds: Thresholds,
): ThresholdState {
  const run = state.lastOk === ok ? state.run + 1 : 1;
  if (ok) {
    const crosses = (!state.healthy || !state.known) && run >= thresholds.successThreshold;
    if (crosses) return { healthy: true, known: true, reason: "", lastOk: ok, run };
    return { ...state, lastOk: ok, run };
  }
  const crosses = (state.healthy || !state.known) && run >= thresholds.failureThreshold;
  if (crosses) return { healthy: false, known: true, reason, lastOk: ok, run };
  // Still healthy: a failure below the threshold is not reported. Unhealthy: show the latest.
  return { ...state, reason: state.healthy ? "" : reason, lastOk: ok, run };
}

/**
 * Whether the change from `before` to `after` is worth reporting: `healthy` or `known` flipped,
 * or the failure reason changed while unhealthy. A plain repeat of the same result is not.
 */
export function isReportable(before: ThresholdState, after: ThresholdState): boolean {
  if (before.healthy !== after.healthy || before.known !== after.known) return true;
  return !after.healthy && before.reason !== after.reason;
}
