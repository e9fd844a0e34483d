// Writes Events to the API server (events.k8s.io/v1): create, and a merge patch of `series` for
// repeats. Kept apart from the recorder so the aggregation and rate-limit rules stay pure.

import type { KubeRest } from "swh-kube-client";
import type { EventWriter, RawEvent } from "./recorder.js";

const BASE = "/apis/events.k8s.io/v1/namespaces";

/** EventWriter over the agent's REST client. */
export class ApiEventWriter implements EventWriter {
  readonly #rest: KubeRest;

  constructor(rest: KubeRest) {
    this.#rest = rest;
  }

  /** Creates the Event. */
  async create(event: RawEvent): Promise<void> {
    await this.#rest.request({
      verb: "create",
      resource: "events",
      path: `${BASE}/${encodeURIComponent(event.metadata.namespace)}/events`,
      body: event,
      timeoutMs: 5_000,
    });
  }

  /** Sets `series.count` and `series.lastObservedTime` of an existing Event. */
  async patchSeries(
    namespace: string,
    name: string,
    count: number,
    lastObservedTime: string,
  ): Promise<void> {
    await this.#rest.request({
      verb: "patch",
      resource: "events",
      path: `${BASE}/${encodeURIComponent(namespace)}/events/${encodeURIComponent(name)}`,
      body: { series: { count, lastObservedTime } },
      contentType: "application/merge-patch+json",
      timeoutMs: 5_000,
    });
  }
}
