// The probe scheduler: one worker per key, each with its own timer on a fixed period grid
// (first slot jittered uniformly within the period, never before the initial delay), a global
// cap on probes in flight with a FIFO queue behind it, thresholds applied per worker, and
// onChange called only when the thresholded state changes. A worker with a re-check interval
// uses it instead of the period while its last result disagrees with its state (worker.ts).
//
// Cost model: there is no loop over all workers anywhere on the probing path. Each worker
// holds one timer; Node keeps timers in per-duration lists under a binary heap, so arming one
// is O(1)..O(log n) and a tick touches only the worker that is due. 10,000 workers at a 1 s
// period are 10,000 timer callbacks per second, the same work the probes themselves need.

import { createProbers, type ProberRegistry } from "../probes/index.js";
import { failed, monotonicMs } from "../probes/outcome.js";
import type { ProbeOutcome, ProbeSpec, Prober } from "../probes/types.js";
import { realClock } from "./clock.js";
import { classifyChange } from "./spec-diff.js";
import { applyResult, initialState, isReportable } from "./thresholds.js";
import type { Clock, ProbeState, SchedulerObserver, WorkerSpec } from "./types.js";
import {
  effectiveTiming,
  initialDelayEnd,
  newWorker,
  nextDue,
  nextInterval,
  snapshot,
  type Worker,
} from "./worker.js";

/** Constructor options of ProbeScheduler. */
export interface ProbeSchedulerOptions {
  /** One prober per mode; defaults to the real TCP/HTTP/PostgreSQL probers. */
  probers?: Record<ProbeSpec["mode"], Prober>;
  /** Most probes in flight at once; further due probes wait in a FIFO queue. */
  maxConcurrent: number;
  clock?: Clock;
  /** Uniform [0, 1) source for the first-probe jitter. */
  random?: () => number;
  observer?: SchedulerObserver;
  /** Called when a worker's healthy/known state (or its failure reason while unhealthy) changes. */
  onChange: (key: string, state: ProbeState) => void;
  /** Extra time a prober gets past its timeout before its attempt is abandoned (default 2 s). */
  timeoutGraceMs?: number;
  /** Longest stop() waits for in-flight probes (default 5 s). */
  stopWaitMs?: number;
}

/** Runs probe workers; see the file header for the scheduling model. */
export class ProbeScheduler {
  private readonly workers = new Map<string, Worker>();
  private readonly queue = new Set<Worker>();
  private readonly probers: ProberRegistry;
  private readonly closeProbers: () => void;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly maxConcurrent: number;
  private readonly graceMs: number;
  private readonly stopWaitMs: number;
  private running = 0;
  private stopping: Promise<void> | undefined;
  private idle: (() => void) | undefined;

  constructor(private readonly options: ProbeSchedulerOptions) {
    if (options.probers === undefined) {
      const set = createProbers();
      this.probers = set.probers;
      this.closeProbers = () => set.close();
    } else {
      this.probers = options.probers;
      this.closeProbers = () => undefined;
    }
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.maxConcurrent = Math.max(1, Math.floor(options.maxConcurrent));
    this.graceMs = options.timeoutGraceMs ?? 2_000;
    this.stopWaitMs = options.stopWaitMs ?? 5_000;
  }

  /** Make the running workers exactly `desired`: start new keys, stop missing ones, restart a
   *  key whose spec changed (keeping its state when only timing changed). */
  sync(desired: readonly WorkerSpec[]): void {
    if (this.stopping !== undefined) return;
    const wanted = new Set<string>();
    for (const spec of desired) {
      if (wanted.has(spec.key)) continue;
      wanted.add(spec.key);
      this.upsert(spec);
    }
    for (const [key, worker] of this.workers) {
      if (!wanted.has(key)) this.remove(worker);
    }
  }

  /** The current state of `key`, or undefined when no such worker runs. */
  state(key: string): ProbeState | undefined {
    const worker = this.workers.get(key);
    return worker === undefined ? undefined : snapshot(worker);
  }

  /** Number of workers. */
  size(): number {
    return this.workers.size;
  }

  /** Probes waiting for a concurrency slot. */
  queueDepth(): number {
    return this.queue.size;
  }

  /** Probes in flight. */
  inFlight(): number {
    return this.running;
  }

  /** Stops every timer and waits (at most stopWaitMs) for in-flight probes. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    for (const worker of this.workers.values()) this.halt(worker);
    this.workers.clear();
    this.setQueueEmpty();
    if (this.running > 0) {
      await new Promise<void>(resolve => {
        const timer = this.clock.setTimeout(resolve, this.stopWaitMs);
        this.idle = () => {
          this.clock.clearTimeout(timer);
          resolve();
        };
      });
    }
    this.closeProbers();
  }

  private upsert(spec: WorkerSpec): void {
    const existing = this.workers.get(spec.key);
    if (existing === undefined) {
      this.start(spec);
      return;
    }
    const change = classifyChange(existing.spec, spec);
    if (change === "timing") this.retime(existing, spec);
    else if (change === "target") this.restart(existing, spec);
  }

  private start(spec: WorkerSpec): Worker {
    const now = this.clock.now();
    const worker: Worker = newWorker(spec, now, () => this.due(worker));
    this.workers.set(spec.key, worker);
    const jitter = Math.floor(this.random() * worker.timing.periodMs);
    this.arm(worker, Math.max(now + jitter, initialDelayEnd(spec, now)));
    return worker;
  }

  /** Timing changed: keep the state, move the next slot to the new grid. */
  private retime(worker: Worker, spec: WorkerSpec): void {
    worker.spec = spec;
    worker.timing = effectiveTiming(spec);
    if (worker.running || worker.queued) return; // the finishing probe re-arms with new timing
    const now = this.clock.now();
    const delayEnd = initialDelayEnd(spec, now);
    const next =
      worker.lastProbeAt === undefined
        ? now + Math.floor(this.random() * worker.timing.periodMs)
        : worker.lastProbeAt + nextInterval(worker);
    this.disarm(worker);
    this.arm(worker, Math.max(now, next, delayEnd));
  }

  /** Target changed: a fresh worker; report the reset if it changes what consumers saw. */
  private restart(old: Worker, spec: WorkerSpec): void {
    this.halt(old);
    const fresh = this.start(spec);
    const reset = initialState(spec.initialHealthy);
    if (isReportable(old.state, reset)) this.options.onChange(spec.key, snapshot(fresh));
  }

  private remove(worker: Worker): void {
    this.halt(worker);
    this.workers.delete(worker.spec.key);
  }

  /** Stops a worker for good: no timer, out of the queue, late results ignored. */
  private halt(worker: Worker): void {
    worker.stopped = true;
    this.disarm(worker);
    if (worker.queued) {
      worker.queued = false;
      this.queue.delete(worker);
      this.reportQueue();
    }
  }

  private arm(worker: Worker, dueAt: number): void {
    worker.dueAt = dueAt;
    worker.timer = this.clock.setTimeout(worker.fire, Math.max(0, dueAt - this.clock.now()));
  }

  private disarm(worker: Worker): void {
    if (worker.timer === undefined) return;
    this.clock.clearTimeout(worker.timer);
    worker.timer = undefined;
  }

  /** The worker's slot came: run now, or queue behind the concurrency cap. */
  private due(worker: Worker): void {
    worker.timer = undefined;
    if (worker.stopped) return;
    if (this.running < this.maxConcurrent) {
      this.launch(worker);
      return;
    }
    worker.queued = true;
    this.queue.add(worker);
    this.reportQueue();
  }

  private launch(worker: Worker): void {
    this.running += 1;
    worker.running = true;
    const attempt = ++worker.attempt;
    const lateMs = Math.max(0, this.clock.now() - worker.dueAt);
    const { address, probe } = worker.spec;
    const { timeoutMs } = worker.timing;
    const startedAt = monotonicMs();
    worker.guard = this.clock.setTimeout(() => {
      const reason = `probe did not finish within ${timeoutMs} ms`;
      this.finish(worker, attempt, failed(startedAt, reason), lateMs);
    }, timeoutMs + this.graceMs);
    let pending: Promise<ProbeOutcome>;
    try {
      // Promise.resolve: a prober returning a plain value must not break the loop either.
      pending = Promise.resolve(this.probers[probe.mode](address, probe, timeoutMs));
    } catch (error) {
      pending = Promise.resolve(failed(startedAt, proberErrorReason(error)));
    }
    pending.then(
      outcome => this.finish(worker, attempt, outcome, lateMs),
      (error: unknown) =>
        this.finish(worker, attempt, failed(startedAt, proberErrorReason(error)), lateMs),
    );
  }

  private finish(worker: Worker, attempt: number, outcome: ProbeOutcome, lateMs: number): void {
    if (worker.attempt !== attempt || !worker.running) return; // abandoned by the guard
    worker.running = false;
    if (worker.guard !== undefined) this.clock.clearTimeout(worker.guard);
    worker.guard = undefined;
    this.running -= 1;
    if (!worker.stopped) {
      this.options.observer?.onProbe?.(worker.spec, outcome, lateMs, worker.recheck);
      this.record(worker, outcome);
      this.arm(worker, nextDue(worker.dueAt, nextInterval(worker), this.clock.now()));
    }
    this.pump();
  }

  /** Applies one result and reports a change. */
  private record(worker: Worker, outcome: ProbeOutcome): void {
    const now = this.clock.now();
    worker.lastProbeAt = now;
    const before = worker.state;
    const after = applyResult(before, outcome.ok, outcome.reason, worker.timing);
    worker.state = after;
    if (before.healthy !== after.healthy) worker.since = now;
    if (isReportable(before, after)) this.options.onChange(worker.spec.key, snapshot(worker));
  }

  /** Starts queued probes while slots are free; resolves stop() when the last one ends. */
  private pump(): void {
    let changed = false;
    while (this.running < this.maxConcurrent && this.queue.size > 0) {
      const next = this.queue.values().next().value as Worker;
      this.queue.delete(next);
      next.queued = false;
      changed = true;
      if (!next.stopped) this.launch(next);
    }
    if (changed) this.reportQueue();
    if (this.running === 0 && this.idle !== undefined) this.idle();
  }

  private setQueueEmpty(): void {
    for (const worker of this.queue) worker.queued = false;
    if (this.queue.size === 0) return;
    this.queue.clear();
    this.reportQueue();
  }

  private reportQueue(): void {
    this.options.observer?.onQueueDepth?.(this.queue.size);
  }
}

function proberErrorReason(error: unknown): string {
  return `prober error: ${error instanceof Error ? error.message : String(error)}`;
}
