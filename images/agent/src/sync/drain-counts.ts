// The agent's `swh_agent_drained_endpoints{namespace,name}` gauge: the endpoints of each SWH on
// this node that its pods' drain annotation takes out (desired/drain.ts), kept per SWH as each
// sync evaluates it and published after each flush. A series appears with an SWH's first drained
// endpoint and stays (at 0 once the drain is removed) until the SWH has no endpoint on this node
// any more, so only SWHs that were drained cost a series.

import type { EvaluatedEndpoint } from "../slices/build.js";

/** The SWH a series is about. */
export interface SwhName {
  readonly namespace: string;
  readonly name: string;
}

/** What publish() writes to (a prom-client Gauge with labels namespace, name). */
export interface DrainedGauge {
  labels(namespace: string, name: string): { set(value: number): void };
  remove(namespace: string, name: string): void;
}

/** Drained endpoints among `evaluated`. Pure. */
export function countDrained(evaluated: readonly EvaluatedEndpoint[]): number {
  return evaluated.filter(e => e.verdict.drain === "drained").length;
}

/** Per-SWH drained counts (see file header). */
export class DrainedCounts {
  readonly #bySwh = new Map<string, SwhName & { readonly count: number }>();
  #gone: SwhName[] = [];

  /** Records SWH `uid`'s evaluated endpoints (`swh` undefined or no endpoints: it is gone). */
  set(uid: string, swh: SwhName | undefined, evaluated: readonly EvaluatedEndpoint[]): void {
    const known = this.#bySwh.get(uid);
    if (swh === undefined || evaluated.length === 0) {
      if (known) this.#gone.push(known);
      this.#bySwh.delete(uid);
      return;
    }
    const count = countDrained(evaluated);
    if (count > 0 || known) {
      this.#bySwh.set(uid, { namespace: swh.namespace, name: swh.name, count });
    }
  }

  /** Writes the series: removes those of SWHs gone since the last call, sets the others. */
  publish(gauge: DrainedGauge): void {
    for (const g of this.#gone) gauge.remove(g.namespace, g.name);
    this.#gone = [];
    for (const c of this.#bySwh.values()) gauge.labels(c.namespace, c.name).set(c.count);
  }
}
