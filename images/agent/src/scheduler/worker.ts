// One probe worker's mutable bookkeeping: its spec, thresholded state, timer and in-flight
// attempt. The scheduler owns all behaviour; this file only holds data and the small helpers
// that read it, so the scheduler's control flow stays in one place.

import { initialState, type ThresholdState } from "./thresholds.js";
import type { ProbeState, TimerHandle, WorkerSpec } from "./types.js";

/** Mutable per-key state, owned by the ProbeScheduler. */
export interface Worker {
  spec: WorkerSpec;
  /** `spec`'s timing, clamped (see effectiveTiming); recomputed when the spec changes. */
  timing: Timing;
  state: ThresholdState;
  /** When `state.healthy` last changed (epoch ms). */
  since: number;
  lastProbeAt: number | undefined;
  /** When the current or next probe is due (epoch ms). */
  dueAt: number;
  /** Armed timer, undefined when none (TimerHandle is opaque and may itself be anything). */
  timer: TimerHandle;
  /** Guard timer of the in-flight probe, undefined when none. */
  guard: TimerHandle;
  /** Incremented per attempt, so late results of abandoned attempts are ignored. */
  attempt: number;
  running: boolean;
  queued: boolean;
  stopped: boolean;
  /** Whether the armed (or running) slot is a fast re-check rather than a period slot. */
  recheck: boolean;
  /** Bound once: the timer callback of this worker (no closure per tick). */
  fire: () => void;
}

/** A new worker for `spec`, not yet scheduled. */
export function newWorker(spec: WorkerSpec, now: number, fire: () => void): Worker {
  return {
    spec,
    timing: effectiveTiming(spec),
    state: initialState(spec.initialHealthy),
    since: now,
    lastProbeAt: undefined,
    dueAt: now,
    timer: undefined,
    guard: undefined,
    attempt: 0,
    running: false,
    queued: false,
    stopped: false,
    recheck: false,
    fire,
  };
}

/** The public view of a worker's state. */
export function snapshot(worker: Worker): ProbeState {
  const view: ProbeState = {
    healthy: worker.state.healthy,
    known: worker.state.known,
    reason: worker.state.healthy ? "" : worker.state.reason,
    since: new Date(worker.since),
  };
  if (worker.lastProbeAt !== undefined) view.lastProbeAt = new Date(worker.lastProbeAt);
  if (worker.state.lastOk !== undefined) view.lastOk = worker.state.lastOk;
  return view;
}

/** A worker's period, timeout and thresholds. */
export interface Timing {
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
  /** Fast re-check interval, below periodMs; undefined when off. */
  readonly recheckMs: number | undefined;
}

/** Period, timeout and thresholds clamped to sane minimums (a zero period would spin); a
 *  re-check interval that is not below the period is off. */
export function effectiveTiming(spec: WorkerSpec): Timing {
  const periodMs = Math.max(1, spec.periodMs);
  const recheck = spec.recheckMs;
  return {
    periodMs,
    recheckMs: recheck !== undefined && recheck < periodMs ? Math.max(1, recheck) : undefined,
    timeoutMs: Math.max(1, spec.timeoutMs),
    successThreshold: Math.max(1, spec.successThreshold),
    failureThreshold: Math.max(1, spec.failureThreshold),
  };
}

/** When the initial delay ends: initialDelayMs after the pod started (or after `now`). */
export function initialDelayEnd(spec: WorkerSpec, now: number): number {
  const start = spec.podStartedAt?.getTime() ?? now;
  return start + Math.max(0, spec.initialDelayMs);
}

/**
 * The next slot on the worker's period grid strictly after `dueAt` and not before `now`:
 * slots missed while the probe ran long or waited in the queue are skipped, not bunched.
 */
export function nextDue(dueAt: number, periodMs: number, now: number): number {
  if (now < dueAt + periodMs) return dueAt + periodMs;
  const missed = Math.floor((now - dueAt) / periodMs);
  return dueAt + (missed + 1) * periodMs;
}

/**
 * Whether the worker's next probe is a fast re-check: it has a re-check interval and its last
 * result disagrees with its published state (a failure while healthy, a success while not
 * healthy), so a threshold crossing may be under way. A crossing makes them agree again.
 */
export function wantsRecheck(worker: Worker): boolean {
  const { lastOk, healthy } = worker.state;
  return worker.timing.recheckMs !== undefined && lastOk !== undefined && lastOk !== healthy;
}

/**
 * The interval to the worker's next probe after its last result: the re-check interval or the
 * period. Records which one in `worker.recheck`, so the probe is counted as what it is.
 */
export function nextInterval(worker: Worker): number {
  worker.recheck = wantsRecheck(worker);
  return worker.recheck ? worker.timing.recheckMs! : worker.timing.periodMs;
}
