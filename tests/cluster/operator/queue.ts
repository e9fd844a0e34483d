// The operator stand-in's `main` queue, with addon-operator's discipline: tasks run strictly one
// after another; a failed task stays at the head and is retried with exponential backoff (5 s,
// doubling with jitter, capped at 32 s), blocking the queue; a task whose key is already waiting
// is not queued twice (all of a batch hook's bindings are grouped, so one pending run already
// sees the newest snapshots: the compaction shell-operator does); and a hook's
// executionMinInterval/executionBurst token bucket delays its runs. A task reads whatever it
// needs (values...) when it runs, so each retry sees the current values. Tasks can be cancelled
// (enabling or disabling the module drops what the other state queued): a waiting task leaves the
// queue at once, a failing head stops retrying (its backoff wait ends), a running one finishes its
// attempt and is not retried.
import { setTimeout as sleep } from "node:timers/promises";
import { describeError } from "../../../images/agent/src/kube/errors.js";
import type { Logger } from "../../../images/agent/src/log.js";

/** Backoff of the n-th retry (1-based): 5 s · 2^(n-1) with ±20% jitter, at most 32 s. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(32_000, 5_000 * 2 ** Math.max(0, attempt - 1));
  return Math.min(32_000, Math.round(base * (0.8 + 0.4 * random())));
}

/** A token bucket: `burst` runs at once, one more every `intervalMs`. */
export class TokenBucket {
  readonly #intervalMs: number;
  readonly #burst: number;
  #tokens: number;
  #updated: number;

  constructor(intervalMs: number, burst: number, now = Date.now()) {
    this.#intervalMs = intervalMs;
    this.#burst = Math.max(1, burst);
    this.#tokens = this.#burst;
    this.#updated = now;
  }

  /** Milliseconds to wait before a run may start (0 = now); takes the token when 0. */
  take(now = Date.now()): number {
    if (this.#intervalMs <= 0) return 0;
    const refill = (now - this.#updated) / this.#intervalMs;
    this.#tokens = Math.min(this.#burst, this.#tokens + refill);
    this.#updated = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.#tokens) * this.#intervalMs);
  }
}

interface Task {
  readonly key: string;
  readonly run: () => Promise<void>;
  readonly done: Array<(err?: Error) => void>;
  started: boolean;
  /** Set by `cancel` on a started task: no further attempt. */
  cancelled: boolean;
  /** Ends the backoff wait of a failed head task early. */
  readonly wake: AbortController;
}

/** The error a cancelled (or stopped) task's waiters get. */
export class TaskCancelledError extends Error {
  constructor(key: string, why: string) {
    super(`task ${key} cancelled: ${why}`);
    this.name = "TaskCancelledError";
  }
}

/** Options of the queue. */
export interface MainQueueOptions {
  /** Backoff before the n-th retry (default `retryDelayMs`). */
  readonly retryDelayMs?: (attempt: number) => number;
}

/** The sequential queue (see file header). */
export class MainQueue {
  readonly #log: Logger;
  readonly #delay: (attempt: number) => number;
  readonly #tasks: Task[] = [];
  readonly #idle: Array<() => void> = [];
  #running = false;
  #stopped = false;
  #lastError: string | undefined;

  constructor(log: Logger, options: MainQueueOptions = {}) {
    this.#log = log;
    this.#delay = options.retryDelayMs ?? (attempt => retryDelayMs(attempt));
  }

  /** Queued tasks, including the running one. */
  get length(): number {
    return this.#tasks.length;
  }

  /** The last failure of the head task, cleared when it succeeds. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /**
   * Queues `run` under `key` unless a task with that key waits already; resolves when the task
   * (this one or the waiting one) has succeeded.
   */
  enqueue(key: string, run: () => Promise<void>): Promise<void> {
    const waiting = this.#tasks.find(t => t.key === key && !t.started);
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => (err === undefined ? resolve() : reject(err));
      if (waiting) waiting.done.push(done);
      else {
        const wake = new AbortController();
        this.#tasks.push({ key, run, done: [done], started: false, cancelled: false, wake });
      }
      void this.#pump();
    });
  }

  /**
   * Cancels the tasks whose key matches (see file header); their waiters get a
   * TaskCancelledError. Returns how many tasks were cancelled.
   */
  cancel(matches: (key: string) => boolean, why: string): number {
    let count = 0;
    for (let i = this.#tasks.length - 1; i >= 0; i--) {
      const task = this.#tasks[i];
      if (!task || !matches(task.key)) continue;
      count++;
      if (task.started) {
        task.cancelled = true;
        task.wake.abort();
        continue;
      }
      this.#tasks.splice(i, 1);
      for (const done of task.done) done(new TaskCancelledError(task.key, why));
    }
    if (this.#tasks.length === 0) for (const wake of this.#idle.splice(0)) wake();
    return count;
  }

  /** Resolves when the queue is empty. */
  whenIdle(): Promise<void> {
    if (this.#tasks.length === 0) return Promise.resolve();
    return new Promise(resolve => this.#idle.push(resolve));
  }

  /** Stops after the running task; waiting tasks are dropped (their promises reject). */
  stop(): void {
    this.#stopped = true;
    this.#tasks[0]?.wake.abort();
    for (const task of this.#tasks.splice(this.#running ? 1 : 0)) {
      for (const done of task.done) done(new TaskCancelledError(task.key, "operator stopping"));
    }
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#tasks.length > 0 && !this.#stopped) await this.#runHead();
    } finally {
      this.#running = false;
      if (this.#tasks.length === 0) for (const wake of this.#idle.splice(0)) wake();
    }
  }

  async #runHead(): Promise<void> {
    const task = this.#tasks[0];
    if (!task) return;
    task.started = true;
    for (let attempt = 1; !this.#stopped; attempt++) {
      try {
        await task.run();
        this.#finish(task);
        return;
      } catch (err) {
        if (task.cancelled) {
          this.#finish(task, new TaskCancelledError(task.key, describeError(err)));
          return;
        }
        const delay = this.#delay(attempt);
        this.#lastError = `${task.key}: ${describeError(err)}`;
        this.#log.error("task failed; it stays at the head of the queue", {
          task: task.key,
          attempt,
          retryInMs: delay,
          error: describeError(err),
        });
        await sleep(delay, undefined, { signal: task.wake.signal }).catch(() => undefined);
        if (task.cancelled) {
          this.#finish(task, new TaskCancelledError(task.key, "cancelled while failing"));
          return;
        }
      }
    }
    this.#finish(task, new TaskCancelledError(task.key, "operator stopping"));
  }

  /** Takes the head task off the queue and tells its waiters. */
  #finish(task: Task, err?: Error): void {
    this.#lastError = undefined;
    this.#tasks.shift();
    for (const done of task.done) done(err);
  }
}
