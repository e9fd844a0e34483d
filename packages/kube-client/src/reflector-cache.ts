// A Reflector's cache: snapshots by `namespace/name` (or `name`) with the resourceVersion they
// were made from, filtered at the edge by `transform`. Listeners hear only real changes: an
// object seen again at the same resourceVersion is not transformed or announced twice, and an
// object the filter now drops is announced as deleted.

import { describeError } from "./errors.js";
import type { KubeLogger } from "./logger.js";
import { isRecord, type RawObject } from "./objects.js";
import type { ReflectorEvent } from "./reflector-types.js";

interface Entry<T> {
  readonly rv: string;
  readonly object: T;
}

/** The resourceVersion in a raw object's metadata, if any. */
export function resourceVersionOf(raw: unknown): string | undefined {
  return metaOf(raw)?.resourceVersion;
}

function metaOf(raw: unknown): RawObject["metadata"] {
  return isRecord(raw) ? (raw as RawObject).metadata : undefined;
}

function keyOfRaw(raw: unknown): string {
  const meta = metaOf(raw);
  return meta?.namespace ? `${meta.namespace}/${meta.name ?? ""}` : (meta?.name ?? "");
}

/** What the cache needs from its reflector. */
export interface CacheOptions<T> {
  /** The reflector's name, in logs. */
  readonly name: string;
  readonly transform: (raw: unknown) => T | undefined;
  readonly log: KubeLogger;
}

/** Snapshots of one collection, and the listeners told of every change. */
export class ReflectorCache<T> {
  readonly #o: CacheOptions<T>;
  readonly #entries = new Map<string, Entry<T>>();
  readonly #listeners: Array<(event: ReflectorEvent<T>) => void> = [];

  constructor(options: CacheOptions<T>) {
    this.#o = options;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): T | undefined {
    return this.#entries.get(key)?.object;
  }

  *values(): IterableIterator<T> {
    for (const entry of this.#entries.values()) yield entry.object;
  }

  on(listener: (event: ReflectorEvent<T>) => void): void {
    this.#listeners.push(listener);
  }

  /** Caches `raw` (if `transform` keeps it and it changed) and returns its key. */
  upsertRaw(raw: unknown, listStartedAt?: number): string {
    const key = keyOfRaw(raw);
    const rv = metaOf(raw)?.resourceVersion ?? "";
    const current = this.#entries.get(key);
    if (current && current.rv === rv && rv !== "") return key;
    const object = this.#o.transform(raw);
    if (object === undefined) {
      if (current) this.#delete(key, current.object, listStartedAt);
      return key;
    }
    this.#entries.set(key, { rv, object });
    this.#emit("upsert", key, object, listStartedAt);
    return key;
  }

  /** Drops the object `raw` names, if cached. */
  deleteRaw(raw: unknown): void {
    const key = keyOfRaw(raw);
    const entry = this.#entries.get(key);
    if (entry) this.#delete(key, entry.object);
  }

  /** Drops every object whose key a list did not see. */
  deleteUnseen(seen: ReadonlySet<string>, listStartedAt: number): void {
    for (const [key, entry] of [...this.#entries]) {
      if (!seen.has(key)) this.#delete(key, entry.object, listStartedAt);
    }
  }

  #delete(key: string, object: T, listStartedAt?: number): void {
    this.#entries.delete(key);
    this.#emit("delete", key, object, listStartedAt);
  }

  #emit(type: ReflectorEvent<T>["type"], key: string, object: T, listStartedAt?: number): void {
    const event: ReflectorEvent<T> = {
      type,
      key,
      object,
      ...(listStartedAt === undefined ? {} : { listStartedAt }),
    };
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
