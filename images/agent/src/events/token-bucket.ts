// Token buckets for rate-limiting Kubernetes Events per SWH: a burst is allowed, then one event
// per refill interval. A flapping endpoint must not turn into an event storm against the API
// server (the Go implementation's status storm reached 70 requests/s for 10 pods).

/** One bucket: `capacity` tokens, refilled continuously at `refillPerSecond`. */
export class TokenBucket {
  readonly #capacity: number;
  readonly #refillPerMs: number;
  #tokens: number;
  #updatedAt: number;

  constructor(capacity: number, refillPerSecond: number, nowMs: number) {
    this.#capacity = capacity;
    this.#refillPerMs = refillPerSecond / 1000;
    this.#tokens = capacity;
    this.#updatedAt = nowMs;
  }

  /** Takes a token if one is available at `nowMs`. */
  take(nowMs: number): boolean {
    this.#refill(nowMs);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** True when the bucket is full at `nowMs` (it can be forgotten without changing behaviour). */
  full(nowMs: number): boolean {
    this.#refill(nowMs);
    return this.#tokens >= this.#capacity;
  }

  #refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.#updatedAt);
    this.#tokens = Math.min(this.#capacity, this.#tokens + elapsed * this.#refillPerMs);
    this.#updatedAt = nowMs;
  }
}

/** A bucket per key, created on first use; full buckets are dropped by `prune`. */
export class KeyedTokenBuckets {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #capacity: number;
  readonly #refillPerSecond: number;

  constructor(capacity: number, refillPerSecond: number) {
    this.#capacity = capacity;
    this.#refillPerSecond = refillPerSecond;
  }

  /** Takes a token from `key`'s bucket. */
  take(key: string, nowMs: number): boolean {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.#capacity, this.#refillPerSecond, nowMs);
      this.#buckets.set(key, bucket);
    }
    return bucket.take(nowMs);
  }

  /** Forgets full buckets; returns how many remain. */
  prune(nowMs: number): number {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.full(nowMs)) this.#buckets.delete(key);
    }
    return this.#buckets.size;
  }
}
