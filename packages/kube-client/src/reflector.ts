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

import type { KubeLogger } from "./logger.js";
import { Backoff, jittered, sleep } from "./backoff.js";
import { describeError, errorCode, isGone, KubeApiError, statusOf } from "./errors.js";
import { isRecord, type RawList, type RawObject, type RawStatus } from "./objects.js";
import type { KubeRest, WatchEvent } from "./rest.js";

/** A change in a reflector's cache. */
export type ReflectorEvent<T> =
  | {
      readonly type: "upsert";
      readonly key: string;
      readonly object: T;
      /** Set when the change comes from a (re)list that began at this time (ms). */
      readonly listStartedAt?: number;
    }
  | {
      readonly type: "delete";
      readonly key: string;
      readonly object: T;
      readonly listStartedAt?: number;
    };

/** Hooks for metrics. */
export interface ReflectorObserver {
  /** A list or watch failed or ended early; `reason` is an HTTP status, `network`, `gone`... */
  onRestart?(name: string, reason: string): void;
  /** A list completed. */
  onList?(name: string, objects: number): void;
}

/** Options of a Reflector. */
export interface ReflectorOptions<T> {
  /** Name in logs and metrics, e.g. `pods`. */
  readonly name: string;
  readonly rest: KubeRest;
  /** Resource name for API metrics. */
  readonly resource: string;
  /** Collection path, e.g. `/api/v1/pods`. */
  readonly path: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Edge filter: raw object to cached snapshot; undefined drops the object. */
  readonly transform: (raw: unknown) => T | undefined;
  /** Period of the full relist that repairs missed events (ms, jittered by 10%). */
  readonly relistIntervalMs: number;
  /**
   * Server-side timeout of one watch request (s, default 120, jittered by up to 50%). The stream
   * is also dropped when silent for this long plus 20 s, so a connection to a vanished API
   * server (no RST) is noticed within minutes, not when TCP keepalive gives up.
   */
  readonly watchTimeoutSeconds?: number;
  /** Items per list page (default 500). */
  readonly pageSize?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly log: KubeLogger;
  readonly observer?: ReflectorObserver;
  readonly now?: () => number;
}

interface Entry<T> {
  readonly rv: string;
  readonly object: T;
}

function metaOf(raw: unknown): RawObject["metadata"] {
  return isRecord(raw) ? (raw as RawObject).metadata : undefined;
}

function keyOfRaw(raw: unknown): string {
  const meta = metaOf(raw);
  return meta?.namespace ? `${meta.namespace}/${meta.name ?? ""}` : (meta?.name ?? "");
}

/** A list+watch cache of one collection (see file header). */
export class Reflector<T> {
  readonly #o: ReflectorOptions<T>;
  readonly #cache = new Map<string, Entry<T>>();
  readonly #listeners: Array<(event: ReflectorEvent<T>) => void> = [];
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
    return this.#cache.get(key)?.object;
  }

  /** Every cached snapshot. */
  *values(): IterableIterator<T> {
    for (const entry of this.#cache.values()) yield entry.object;
  }

  /** Subscribes to cache changes; listeners run synchronously and must not throw. */
  on(listener: (event: ReflectorEvent<T>) => void): void {
    this.#listeners.push(listener);
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
      for (const raw of page.items ?? []) seen.add(this.#upsertRaw(raw, listStartedAt));
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? rv;
    } while (cont);
    for (const [key, entry] of [...this.#cache]) {
      if (!seen.has(key)) this.#delete(key, entry.object, listStartedAt);
    }
    this.#synced = true;
    this.#attempted = true;
    this.#lastError = undefined;
    this.#backoff.reset();
    this.#o.observer?.onList?.(this.#o.name, this.#cache.size);
    return rv;
  }

  #listPage(cont: string | undefined): Promise<RawList> {
    return this.#o.rest.request<RawList>({
      verb: "list",
      resource: this.#o.resource,
      path: this.#o.path,
      query: {
        labelSelector: this.#o.labelSelector,
        fieldSelector: this.#o.fieldSelector,
        limit: this.#o.pageSize ?? 500,
        continue: cont,
      },
    });
  }

  /** Watches from `#resumeRv`, moving it along with every event (bookmarks included). */
  async #watch(timeoutSeconds: number, signal: AbortSignal): Promise<void> {
    await this.#o.rest.watch(
      {
        verb: "watch",
        resource: this.#o.resource,
        path: this.#o.path,
        query: {
          watch: 1,
          resourceVersion: this.#resumeRv,
          allowWatchBookmarks: true,
          timeoutSeconds,
          labelSelector: this.#o.labelSelector,
          fieldSelector: this.#o.fieldSelector,
        },
      },
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
    if (event.type === "ERROR") throw this.#watchError(event.object);
    if (event.type === "ADDED" || event.type === "MODIFIED") this.#upsertRaw(event.object);
    else if (event.type === "DELETED") this.#deleteRaw(event.object);
    return metaOf(event.object)?.resourceVersion ?? rv;
  }

  #watchError(object: unknown): Error {
    const status = (isRecord(object) ? object : {}) as RawStatus;
    return new KubeApiError(`watch ${this.#o.path}: ${status.message ?? "error event"}`, {
      status: status.code ?? 0,
      ...(status.reason ? { reason: status.reason } : {}),
      verb: "watch",
      resource: this.#o.resource,
    });
  }

  #deleteRaw(raw: unknown): void {
    const key = keyOfRaw(raw);
    const entry = this.#cache.get(key);
    if (entry) this.#delete(key, entry.object);
  }

  #upsertRaw(raw: unknown, listStartedAt?: number): string {
    const key = keyOfRaw(raw);
    const rv = metaOf(raw)?.resourceVersion ?? "";
    const current = this.#cache.get(key);
    if (current && current.rv === rv && rv !== "") return key;
    const object = this.#o.transform(raw);
    if (object === undefined) {
      if (current) this.#delete(key, current.object, listStartedAt);
      return key;
    }
    this.#cache.set(key, { rv, object });
    this.#emit({
      type: "upsert",
      key,
      object,
      ...(listStartedAt === undefined ? {} : { listStartedAt }),
    });
    return key;
  }

  #delete(key: string, object: T, listStartedAt?: number): void {
    this.#cache.delete(key);
    this.#emit({
      type: "delete",
      key,
      object,
      ...(listStartedAt === undefined ? {} : { listStartedAt }),
    });
  }

  #emit(event: ReflectorEvent<T>): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        this.#o.log.error("informer listener failed", {
          informer: this.#o.name,
          error: describeError(err),
        });
      }
    }
  }
}
