// The agent's write queue. SWHs are marked dirty (a probe state changed, the desired state
// changed, one of our slices drifted); after a coalescing window one flush syncs every dirty SWH,
// a few at a time. Marks that arrive during a flush wait for the next one, which the flush arms
// when it ends. A failed SWH is marked again for a retry: soon, with growing backoff, when the API
// server may recover (an outage, 5xx, 429); after a long pause when retrying cannot help (400 or
// 422 for every failure). Each SWH keeps the time it first became dirty, across retries, for the
// propagation metric.

import { Backoff, describeError } from "swh-kube-client";
import type { Logger } from "../log.js";
import type { Clock, TimerHandle } from "../scheduler/types.js";

/** Options of SyncQueue. */
export interface SyncQueueOptions {
  readonly clock: Clock;
  /** Coalescing window between the first mark and the flush (ms). */
  readonly coalesceMs: number;
  /** SWHs synced at once during a flush. */
  readonly concurrency: number;
  /** Brings one SWH in line; throws to have it retried. */
  readonly sync: (uid: string, dirtySince: number) => Promise<void>;
  /** Whether an error is worth a soon retry (else the slow one). */
  readonly retriable: (err: unknown) => boolean;
  /** Called after every flush (gauges). */
  readonly onFlushed?: () => void;
  readonly log: Logger;
  /** Retry delays after retriable failures (default 200 ms doubling to 5 s, with jitter). */
  readonly backoff?: Backoff;
  /** Retry delay when no failure is retriable (default 30 s). */
  readonly slowRetryMs?: number;
}

/** One failed sync. */
interface Failure {
  readonly uid: string;
  readonly since: number;
  readonly error: unknown;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function runLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Dirty set, coalescing and retries (see file header). */
export class SyncQueue {
  readonly #o: SyncQueueOptions;
  readonly #backoff: Backoff;
  readonly #dirty = new Map<string, number>();
  // Boxed: a TimerHandle is opaque (unknown), so "no timer" is the box's absence.
  #flushTimer: { readonly handle: TimerHandle } | undefined;
  #retryTimer: { readonly handle: TimerHandle } | undefined;
  #flushing: Promise<void> | undefined;
  #stopped = false;

  constructor(options: SyncQueueOptions) {
    this.#o = options;
    this.#backoff = options.backoff ?? new Backoff({ initialMs: 200, maxMs: 5_000 });
  }

  /** SWHs waiting for a flush. */
  get pending(): number {
    return this.#dirty.size;
  }

  /** Marks `uid` dirty (keeping the first time it was) and arms the flush. */
  mark(uid: string): void {
    if (this.#stopped) return;
    if (!this.#dirty.has(uid)) this.#dirty.set(uid, this.#o.clock.now());
    this.#arm();
  }

  /** Flushes now (tests and benchmarks); resolves when it ended. */
  async flushNow(): Promise<void> {
    this.#cancel("flush");
    await this.#flush();
  }

  /** Stops arming timers; resolves when a flush in progress ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel("flush");
    this.#cancel("retry");
    await this.#flushing;
  }

  /** Arms the coalescing timer unless a flush is pending or running (it re-arms when done). */
  #arm(): void {
    if (this.#flushTimer || this.#flushing || this.#stopped) return;
    this.#flushTimer = {
      handle: this.#o.clock.setTimeout(() => {
        this.#flushTimer = undefined;
        this.#flushInBackground();
      }, this.#o.coalesceMs),
    };
  }

  #cancel(which: "flush" | "retry"): void {
    const timer = which === "flush" ? this.#flushTimer : this.#retryTimer;
    if (timer !== undefined) this.#o.clock.clearTimeout(timer.handle);
    if (which === "flush") this.#flushTimer = undefined;
    else this.#retryTimer = undefined;
  }

  #flushInBackground(): void {
    this.#flush().catch((err: unknown) => {
      this.#o.log.error("flush failed unexpectedly", { error: describeError(err) });
    });
  }

  #flush(): Promise<void> {
    this.#flushing ??= this.#flushOnce().finally(() => {
      this.#flushing = undefined;
      if (this.#dirty.size > 0) this.#arm();
    });
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    const batch = [...this.#dirty];
    this.#dirty.clear();
    const failed: Failure[] = [];
    await runLimited(batch, this.#o.concurrency, async ([uid, since]) => {
      try {
        await this.#o.sync(uid, since);
      } catch (error) {
        failed.push({ uid, since, error });
      }
    });
    this.#o.onFlushed?.();
    if (failed.length === 0) this.#backoff.reset();
    else this.#scheduleRetry(failed);
  }

  #scheduleRetry(failed: readonly Failure[]): void {
    const slow = failed.every(f => !this.#o.retriable(f.error));
    const delayMs = slow ? (this.#o.slowRetryMs ?? 30_000) : this.#backoff.next();
    this.#o.log.warn("EndpointSlice sync failed; retrying", {
      swhs: failed.length,
      retryInMs: delayMs,
      error: describeError(failed[0]?.error),
    });
    this.#cancel("retry");
    if (this.#stopped) return;
    this.#retryTimer = {
      handle: this.#o.clock.setTimeout(() => {
        this.#retryTimer = undefined;
        for (const f of failed) if (!this.#dirty.has(f.uid)) this.#dirty.set(f.uid, f.since);
        this.#flushInBackground();
      }, delayMs),
    };
  }
}
