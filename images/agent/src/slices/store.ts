// The agent's view of its own EndpointSlices: the informer cache corrected by the agent's own
// writes. After a write the informer may still deliver older events for that slice; planning
// from them would undo the write or answer it with a needless second one. So every write records
// an expectation (the resourceVersion the API returned, or an expected deletion), and informer
// events older than it are ignored until the informer catches up - the role of the EndpointSlice
// controller's EndpointSliceTracker. Resource versions are compared for equality only, except
// that the numeric etcd revisions every API server hands out are also ordered when both parse
// as integers; and a relist that started after the write always wins.

import { SWH_KIND } from "../../../../api/contract.js";
import type { RawEndpointSlice } from "swh-kube-client";

interface Expectation {
  /** resourceVersion written (or last known before an expected deletion). */
  readonly rv?: string;
  readonly deleted: boolean;
  /** When the write completed (ms). */
  readonly at: number;
}

/** Compares two resourceVersions when both are integers; undefined when they cannot be ordered. */
export function compareResourceVersions(a: string, b: string): number | undefined {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return undefined;
  const x = BigInt(a);
  const y = BigInt(b);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** The uid of the SWH that controls a slice, or "" when none does. */
export function controllerUid(slice: RawEndpointSlice): string {
  const owner = (slice.metadata?.ownerReferences ?? []).find(
    o => o.controller === true && o.kind === SWH_KIND,
  );
  return owner?.uid ?? "";
}

function keyOf(slice: RawEndpointSlice): string {
  return `${slice.metadata?.namespace ?? ""}/${slice.metadata?.name ?? ""}`;
}

/** Informer events older than what the agent itself wrote are dropped (see file header). */
export class SliceStore {
  readonly #slices = new Map<string, RawEndpointSlice>();
  readonly #byOwner = new Map<string, Set<string>>();
  readonly #expected = new Map<string, Expectation>();
  readonly #now: () => number;

  /** @param now clock in ms (injectable for tests). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Number of slices known. */
  get size(): number {
    return this.#slices.size;
  }

  /** Slices pending an informer confirmation of the agent's own write. */
  get pendingExpectations(): number {
    return this.#expected.size;
  }

  /** The slices controlled by SWH `uid` ("" = slices without an SWH controller). */
  ownedBy(uid: string): RawEndpointSlice[] {
    const keys = this.#byOwner.get(uid);
    if (!keys) return [];
    const out: RawEndpointSlice[] = [];
    for (const key of keys) {
      const slice = this.#slices.get(key);
      if (slice) out.push(slice);
    }
    return out;
  }

  /** Every owner uid with at least one slice. */
  owners(): string[] {
    return [...this.#byOwner.keys()];
  }

  /** Every slice known. */
  all(): RawEndpointSlice[] {
    return [...this.#slices.values()];
  }

  /**
   * An informer add/update. `listStartedAt` is set when it comes from a (re)list that began at
   * that time. Returns whether the store changed.
   */
  upsert(slice: RawEndpointSlice, listStartedAt?: number): boolean {
    const key = keyOf(slice);
    const expected = this.#expected.get(key);
    if (expected && !this.#supersedes(slice, expected, listStartedAt)) return false;
    this.#expected.delete(key);
    const current = this.#slices.get(key);
    if (current?.metadata?.resourceVersion === slice.metadata?.resourceVersion && current) {
      return false;
    }
    this.#put(key, slice);
    return true;
  }

  /** An informer delete. Returns whether the store changed. */
  remove(slice: RawEndpointSlice, listStartedAt?: number): boolean {
    const key = keyOf(slice);
    const expected = this.#expected.get(key);
    if (expected && !expected.deleted && !this.#deleteSupersedes(slice, expected, listStartedAt)) {
      return false;
    }
    this.#expected.delete(key);
    return this.#drop(key);
  }

  /** Records the object the API returned for the agent's own create or update. */
  recordWrite(slice: RawEndpointSlice): void {
    const key = keyOf(slice);
    const rv = slice.metadata?.resourceVersion;
    this.#expected.set(key, { ...(rv ? { rv } : {}), deleted: false, at: this.#now() });
    this.#put(key, slice);
  }

  /** Records the agent's own successful (or NotFound) delete of `slice`. */
  recordDelete(slice: RawEndpointSlice): void {
    const key = keyOf(slice);
    const rv = slice.metadata?.resourceVersion;
    this.#expected.set(key, { ...(rv ? { rv } : {}), deleted: true, at: this.#now() });
    this.#drop(key);
  }

  /** Forgets expectations older than `maxAgeMs` (the informer missed them; trust it again). */
  expireExpectations(maxAgeMs: number): number {
    const cutoff = this.#now() - maxAgeMs;
    let expired = 0;
    for (const [key, e] of this.#expected) {
      if (e.at < cutoff) {
        this.#expected.delete(key);
        expired++;
      }
    }
    return expired;
  }

  #supersedes(slice: RawEndpointSlice, e: Expectation, listStartedAt?: number): boolean {
    if (listStartedAt !== undefined && listStartedAt >= e.at) return true;
    const rv = slice.metadata?.resourceVersion;
    if (rv === undefined || e.rv === undefined) return false;
    if (!e.deleted && rv === e.rv) return true;
    const order = compareResourceVersions(rv, e.rv);
    return order !== undefined && order > 0;
  }

  #deleteSupersedes(slice: RawEndpointSlice, e: Expectation, listStartedAt?: number): boolean {
    if (listStartedAt !== undefined && listStartedAt >= e.at) return true;
    const rv = slice.metadata?.resourceVersion;
    if (rv === undefined || e.rv === undefined) return true;
    const order = compareResourceVersions(rv, e.rv);
    return order === undefined || order >= 0;
  }

  #put(key: string, slice: RawEndpointSlice): void {
    this.#drop(key);
    this.#slices.set(key, slice);
    const owner = controllerUid(slice);
    let keys = this.#byOwner.get(owner);
    if (!keys) {
      keys = new Set();
      this.#byOwner.set(owner, keys);
    }
    keys.add(key);
  }

  #drop(key: string): boolean {
    const old = this.#slices.get(key);
    if (!old) return false;
    this.#slices.delete(key);
    const owner = controllerUid(old);
    const keys = this.#byOwner.get(owner);
    keys?.delete(key);
    if (keys?.size === 0) this.#byOwner.delete(owner);
    return true;
  }
}
