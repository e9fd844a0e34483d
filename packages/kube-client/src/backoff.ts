// Exponential backoff with jitter, shared by everything that retries API calls (watches, slice
// writes, the Lease). The cap is a few seconds, not minutes: after an API server outage the agent
// must converge within seconds, and jitter keeps a thousand agents from retrying in lockstep.

/** Backoff settings. */
export interface BackoffOptions {
  /** First delay (ms). */
  readonly initialMs: number;
  /** Largest delay (ms). */
  readonly maxMs: number;
  /** Growth per failure (default 2). */
  readonly factor?: number;
  /** Fraction of the delay added at random, 0..1 (default 0.2). */
  readonly jitter?: number;
  /** Random source in [0, 1) (injectable for tests). */
  readonly random?: () => number;
}

/** Delays that grow with consecutive failures and reset on success. */
export class Backoff {
  readonly #options: Required<BackoffOptions>;
  #failures = 0;

  constructor(options: BackoffOptions) {
    this.#options = { factor: 2, jitter: 0.2, random: Math.random, ...options };
  }

  /** Consecutive failures so far. */
  get failures(): number {
    return this.#failures;
  }

  /** The delay before the next attempt; counts one more failure. */
  next(): number {
    const { initialMs, maxMs, factor, jitter, random } = this.#options;
    const base = Math.min(maxMs, initialMs * factor ** this.#failures);
    this.#failures++;
    return Math.round(Math.min(maxMs, base * (1 + jitter * random())));
  }

  /** Forgets the failures. */
  reset(): void {
    this.#failures = 0;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. The timer never keeps the process up. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    timer.unref();
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** `ms` plus up to `fraction` of it at random. */
export function jittered(ms: number, fraction = 0.1, random: () => number = Math.random): number {
  return Math.round(ms * (1 + fraction * random()));
}
