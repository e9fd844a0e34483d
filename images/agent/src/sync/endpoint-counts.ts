// The agent's `swh_agent_endpoints{state}` gauge: ready, not ready and terminating endpoints on
// this node, summed over every SWH, kept per SWH as each sync evaluates it and published after
// each flush.

import type { EvaluatedEndpoint } from "../slices/build.js";

/** Endpoint counts of one SWH. */
export interface EndpointCount {
  readonly ready: number;
  readonly notReady: number;
  readonly terminating: number;
}

/** Counts `evaluated` by state. Pure. */
export function countEndpoints(evaluated: readonly EvaluatedEndpoint[]): EndpointCount {
  const counts = { ready: 0, notReady: 0, terminating: 0 };
  for (const e of evaluated) {
    if (e.verdict.conditions.terminating) counts.terminating++;
    else if (e.verdict.conditions.ready) counts.ready++;
    else counts.notReady++;
  }
  return counts;
}

/** Per-SWH counts and their total. */
export class EndpointCounts {
  readonly #bySwh = new Map<string, EndpointCount>();

  /** Records an SWH's evaluated endpoints (none: the SWH is forgotten). */
  set(uid: string, evaluated: readonly EvaluatedEndpoint[]): void {
    if (evaluated.length === 0) this.#bySwh.delete(uid);
    else this.#bySwh.set(uid, countEndpoints(evaluated));
  }

  /** Sets the gauge to the totals, by state. */
  publish(gauge: { labels(state: string): { set(value: number): void } }): void {
    const total = this.total();
    gauge.labels("ready").set(total.ready);
    gauge.labels("not_ready").set(total.notReady);
    gauge.labels("terminating").set(total.terminating);
  }

  /** The totals over every SWH. */
  total(): EndpointCount {
    const sum = { ready: 0, notReady: 0, terminating: 0 };
    for (const c of this.#bySwh.values()) {
      sum.ready += c.ready;
      sum.notReady += c.notReady;
      sum.terminating += c.terminating;
    }
    return sum;
  }
}
