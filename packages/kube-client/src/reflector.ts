// List+watch with a local cache: the agent's informer. It lists (paged), watches from the list's
// resourceVersion with bookmarks and a server-side timeout, re-watches when the server ends the
// stream, relists when the resourceVersion is too old (410) and periodically (watches are known
// to miss events silently), and retries every failure with backoff forever, logging each restart
// and counting it. Objects are filtered at the edge by `transform`, so the cache holds small
// snapshots. Listeners get only real changes: a relist diffs against the cache by resourceVersion.
//
// After a network failure (the API server unreachable, the connection reset, no answer) it
// resumes the watch from the last resourceVersion it saw instead of listing again, as client-go
// does: when thousands of agents lose the API server at once, their comeback costs the server
// one watch each, not a list of every SWH. A server that restarted meanwhile no longer knows the
// resourceVersion and answers 410, which relists. Any other failure (an HTTP error status)
// relists, since the answer may be about the resourceVersion itself.

import { Backoff, jittered, sleep } from "./backoff.js";
import { describeError, errorCode, isGone, statusOf } from "./errors.js";
import type { RawList } from "./objects.js";
import { ReflectorCache, resourceVersionOf } from "./reflector-cache.js";
import { listPageRequest, watchEventError, watchRequest } from "./reflector-requests.js";
import type { ReflectorEvent, ReflectorOptions } from "./reflector-types.js";
import type { WatchEvent } from "./rest-types.js";

/** A list+watch cache of one collection (see file header). */
export class Reflector<T> {
  readonly #o: ReflectorOptions<T>;
  readonly #cache: ReflectorCache<T>;
  readonly #backoff: Backoff;
  readonly #now: () => number;
  #abort = new AbortController();
  #running: Promise<void> | undefined;
  /** The resourceVersion to resume watching from; undefined when the next step is a list. */
  #resumeRv: string | undefined;
  /** When the periodic relist is due (ms). */
  #relistAt = 0;
  #synced = false;
  #attempted = false;
  #lastError: unknown;

  constructor(options: ReflectorOptions<T>) {
    this.#o = options;
    this.#backoff = new Backoff(options.backoff ?? { initialMs: 200, maxMs: 5_000 });
    this.#now = options.now ?? Date.now;
    this.#cache = new ReflectorCache(options);
  }

  /** The first list succeeded (the cache reflects the collection). */
  get synced(): boolean {
    return this.#synced;
  }

  /** The first list finished, successfully or not. */
  get attempted(): boolean {
    return this.#attempted;
  }

  /** The last list/watch error; undefined after a successful list or an accepted watch. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** Number of cached objects. */
  get size(): number {
    return this.#cache.size;
  }

  /** The cached snapshot of `namespace/name` (or `name`). */
  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  /** Every cached snapshot. */
  values(): IterableIterator<T> {
    return this.#cache.values();
  }

  /** Subscribes to cache changes; listeners run synchronously and must not throw. */
  on(listener: (event: ReflectorEvent<T>) => void): void {
    this.#cache.on(listener);
  }

  /** Starts the list+watch loop (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#abort = new AbortController();
    this.#running = this.#loop();
  }

  /** Stops the loop and waits for it to end. The cache is kept. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
    this.#running = undefined;
  }

  /** Resolves when synced, or false after `timeoutMs` / on stop. */
  async waitForSync(timeoutMs: number): Promise<boolean> {
    const deadline = this.#now() + timeoutMs;
    while (!this.#synced && this.#now() < deadline && !this.#abort.signal.aborted) {
      await sleep(50, this.#abort.signal);
    }
    return this.#synced;
  }

  async #loop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        await this.#listAndWatch(signal);
      } catch (err) {
        if (signal.aborted) break;
        await this.#onFailure(err, signal);
      }
    }
  }

  async #onFailure(err: unknown, signal: AbortSignal): Promise<void> {
    const gone = isGone(err);
    // A network failure (status 0) keeps the place to resume from; any API answer relists.
    if (gone || statusOf(err) !== 0) this.#resumeRv = undefined;
    if (gone) {
      this.#o.observer?.onRestart?.(this.#o.name, "gone");
      this.#o.log.info("watch resourceVersion expired; relisting", { informer: this.#o.name });
      return;
    }
    this.#lastError = err;
    this.#attempted = true;
    this.#o.observer?.onRestart?.(this.#o.name, errorCode(err));
    const delayMs = this.#backoff.next();
    this.#o.log.warn("list/watch failed; retrying", {
      informer: this.#o.name,
      error: describeError(err),
      retryInMs: delayMs,
    });
    await sleep(delayMs, signal);
  }

  async #listAndWatch(signal: AbortSignal): Promise<void> {
    if (this.#resumeRv === undefined || this.#now() >= this.#relistAt) {
      this.#resumeRv = await this.#list();
      this.#relistAt = this.#now() + jittered(this.#o.relistIntervalMs);
    } else {
      this.#o.log.debug("resuming watch", {
        informer: this.#o.name,
        resourceVersion: this.#resumeRv,
      });
    }
    while (!signal.aborted && this.#now() < this.#relistAt) {
      const startedAt = this.#now();
      const remaining = Math.max(1, Math.ceil((this.#relistAt - startedAt) / 1000));
      const timeout = jittered(this.#o.watchTimeoutSeconds ?? 120, 0.5);
      await this.#watch(Math.min(timeout, remaining), signal);
      if (this.#now() - startedAt < 1000 && !signal.aborted) {
        // A watch that ends at once, repeatedly, must not spin.
        this.#o.observer?.onRestart?.(this.#o.name, "closed");
        await sleep(this.#backoff.next(), signal);
      }
    }
  }

  async #list(): Promise<string> {
    const listStartedAt = this.#now();
    const seen = new Set<string>();
    let cont: string | undefined;
    let rv = "";
    do {
      const page = await this.#listPage(cont);
      for (const raw of page.items ?? []) seen.add(this.#cache.upsertRaw(raw, listStartedAt));
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? rv;
    } while (cont);
    this.#cache.deleteUnseen(seen, listStartedAt);
    this.#synced = true;
    this.#attempted = true;
    this.#lastError = undefined;
    this.#backoff.reset();
    this.#o.observer?.onList?.(this.#o.name, this.#cache.size);
    return rv;
  }

  #listPage(cont: string | undefined): Promise<RawList> {
    return this.#o.rest.request<RawList>(listPageRequest(this.#o, cont));
  }

  /** Watches from `#resumeRv`, moving it along with every event (bookmarks included). */
  async #watch(timeoutSeconds: number, signal: AbortSignal): Promise<void> {
    await this.#o.rest.watch(
      watchRequest(this.#o, this.#resumeRv, timeoutSeconds),
      event => {
        this.#resumeRv = this.#apply(event, this.#resumeRv);
      },
      {
        signal,
        idleTimeoutMs: (timeoutSeconds + 20) * 1000,
        // A watch the server accepted after a failure ends the failure streak. (Watches that
        // the server keeps closing at once are not failures, and keep backing off.)
        onOpen: () => {
          if (this.#lastError === undefined) return;
          this.#lastError = undefined;
          this.#backoff.reset();
        },
      },
    );
  }

  #apply(event: WatchEvent, rv: string | undefined): string | undefined {
    if (event.type === "ERROR") throw watchEventError(this.#o, event.object);
    if (event.type === "ADDED" || event.type === "MODIFIED") this.#cache.upsertRaw(event.object);
    else if (event.type === "DELETED") this.#cache.deleteRaw(event.object);
    return resourceVersionOf(event.object) ?? rv;
  }
}
