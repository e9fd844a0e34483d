// The contract between the probe scheduler (this directory) and the Kubernetes side of the
// agent: what a worker is asked to probe and how often, the thresholded state it reports back,
// optional metric hooks, and the injectable clock that lets state machines run on fake time.

import type { ProbeOutcome, ProbeSpec } from "../probes/types.js";

/** One probe of one endpoint address, with its timing and thresholds. */
export interface WorkerSpec {
  /** Unique per (SWH uid, pod uid, address, probe index). */
  key: string;
  /** IPv4 or IPv6 literal. */
  address: string;
  probe: ProbeSpec;
  periodMs: number;
  timeoutMs: number;
  /** Counted from podStartedAt (from the worker's start when podStartedAt is absent). */
  initialDelayMs: number;
  podStartedAt?: Date;
  successThreshold: number;
  failureThreshold: number;
  /** Fast re-check interval (below periodMs), used instead of periodMs while the last result
   *  disagrees with the published state; absent: every probe on the period. */
  recheckMs?: number;
  /** Adopted state (from an existing EndpointSlice after restart): the worker starts from it
   *  instead of "failing", and keeps it until fresh results cross a threshold. */
  initialHealthy?: boolean;
}

/** The thresholded view of a worker, as reported through onChange. */
export interface ProbeState {
  /** The thresholded result. */
  healthy: boolean;
  /** False until the first threshold crossing or adoption. */
  known: boolean;
  /** Last failure reason ("" when healthy). */
  reason: string;
  /** When `healthy` last changed. */
  since: Date;
  lastProbeAt?: Date;
  /** The last raw result (before thresholds), when a probe has run: ends a drain (desired/drain.ts). */
  lastOk?: boolean;
}

/** Hooks for metrics; all optional. */
export interface SchedulerObserver {
  /** Called after every probe attempt; `lateMs` is how long it waited past its due time,
   *  `recheck` whether it ran at the fast re-check interval rather than on the period. */
  onProbe?(spec: WorkerSpec, outcome: ProbeOutcome, lateMs: number, recheck: boolean): void;
  /** Called when the number of probes waiting for a concurrency slot changes. */
  onQueueDepth?(depth: number): void;
}

/** Opaque handle returned by Clock.setTimeout. */
export type TimerHandle = unknown;

/** Time source and timers, injectable so tests can drive the scheduler step by step. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `ms`; the real clock unref()s the timer so it never keeps the process up. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}
