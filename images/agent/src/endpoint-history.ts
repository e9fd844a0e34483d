// Remembers, per endpoint, whether it was healthy and since when: the report's
// lastTransitionTime and the trigger of EndpointReady/EndpointNotReady events. Seeded from the
// previous agent's reports after a restart, so neither the time nor an event is invented by the
// restart itself.

/** An endpoint's last known health. */
export interface HealthRecord {
  readonly healthy: boolean;
  /** RFC 3339 time of the last change. */
  readonly since: string;
}

/** What `observe` saw. */
export interface Observation {
  readonly record: HealthRecord;
  /** The previous record when health flipped (undefined for no change or a first sighting). */
  readonly flippedFrom?: HealthRecord;
}

/** Endpoint health history keyed by endpoint key. */
export class EndpointHistory {
  readonly #records = new Map<string, HealthRecord>();

  /** Number of endpoints remembered. */
  get size(): number {
    return this.#records.size;
  }

  /** The record of `key`, if any. */
  get(key: string): HealthRecord | undefined {
    return this.#records.get(key);
  }

  /** Seeds a record (adoption after restart) unless one exists. */
  seed(key: string, record: HealthRecord): void {
    if (!this.#records.has(key)) this.#records.set(key, record);
  }

  /** Records the current health of `key` at `nowIso`; reports a flip. */
  observe(key: string, healthy: boolean, nowIso: string): Observation {
    const previous = this.#records.get(key);
    if (previous && previous.healthy === healthy) return { record: previous };
    const record = { healthy, since: nowIso };
    this.#records.set(key, record);
    return previous ? { record, flippedFrom: previous } : { record };
  }

  /** Forgets every endpoint not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const key of this.#records.keys()) {
      if (!keep.has(key)) this.#records.delete(key);
    }
  }
}
