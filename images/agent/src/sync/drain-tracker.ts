// The agent's memory of per-endpoint drains (the rules are desired/drain.ts): which endpoints
// are drained, and since when a removed drain awaits a passing probe result. Only endpoints in a
// drain are remembered. Each sync observes its endpoints here and gets their phase and whether
// a drain began or ended (the Drained and DrainRemoved events). Seeded after a restart from the
// previous agent's reports, so a restart neither invents a Drained event nor ends a drain early.

import type { DrainPhase } from "../desired/drain.js";
import { endpointKeyOfWorkerKey } from "../desired/endpoints.js";

/** What observing one endpoint gave. */
export interface DrainStep {
  /** The endpoint's phase now; undefined: not in a drain. */
  readonly phase: DrainPhase | undefined;
  /** The annotation began naming the endpoint's SWH at this observation. */
  readonly began: boolean;
  /** The annotation stopped naming it at this observation. */
  readonly ended: boolean;
}

interface DrainRecord {
  readonly drained: boolean;
  /** When a removed drain was observed removed (epoch ms); undefined while drained. */
  readonly removedAt?: number;
}

const NOT_DRAINED: DrainStep = { phase: undefined, began: false, ended: false };

/** Drains by endpoint key (see file header). */
export class DrainTracker {
  readonly #records = new Map<string, DrainRecord>();

  /** Number of endpoints in a drain (drained or being restored). */
  get size(): number {
    return this.#records.size;
  }

  /** Seeds a drained endpoint (adoption after a restart) unless one is known. */
  seed(key: string): void {
    if (!this.#records.has(key)) this.#records.set(key, { drained: true });
  }

  /**
   * Observes endpoint `key` at `now`: `drained` is whether its pod's annotation names its SWH;
   * `over(removedAt)` tells whether a drain removed at `removedAt` is over (drainOver).
   */
  observe(
    key: string,
    drained: boolean,
    now: number,
    over: (removedAt: number) => boolean,
  ): DrainStep {
    const record = this.#records.get(key);
    if (drained) {
      if (!record?.drained) this.#records.set(key, { drained: true });
      return { phase: "drained", began: record?.drained !== true, ended: false };
    }
    if (record === undefined) return NOT_DRAINED;
    const ended = record.drained;
    const removedAt = record.removedAt ?? now;
    if (ended) this.#records.set(key, { drained: false, removedAt });
    if (over(removedAt)) {
      this.#records.delete(key);
      return { phase: undefined, began: false, ended };
    }
    return { phase: "restoring", began: false, ended };
  }

  /** Whether endpoint `key` awaits a probe result to end its drain. */
  restoring(key: string): boolean {
    return this.#records.get(key)?.removedAt !== undefined;
  }

  /**
   * Whether a result of probe worker `workerKey` may end a drain, so its SWH needs a sync even
   * though the probe's state did not change. Checked after every probe: cheap while no endpoint
   * is in a drain (no key is sliced).
   */
  awaitsProbe(workerKey: string): boolean {
    return this.#records.size > 0 && this.restoring(endpointKeyOfWorkerKey(workerKey));
  }

  /** Forgets every endpoint not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const key of this.#records.keys()) if (!keep.has(key)) this.#records.delete(key);
  }
}
