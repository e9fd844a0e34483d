// Watches a Service's EndpointSlices and records, with timestamps, every change of each
// endpoint's `ready` condition, the way a consumer of the slices (kube-proxy) would see it.
// Scenarios use it to count flaps (a healthy endpoint that turned not ready) across an agent
// restart, and to time a switchover from the moment the first event shows it.
import { LABEL_SERVICE_NAME } from "../../../api/contract.js";
import { type RawEndpointSlice, Reflector } from "swh-kube-client";
import { createLogger } from "../../../images/agent/src/log.js";
import type { World } from "../world/handle.js";
import { endpointRows } from "./endpoints.js";

/** One observed change of an endpoint's readiness (absent = false). */
export interface ReadinessChange {
  /** ms since the epoch. */
  readonly at: number;
  readonly pod: string;
  readonly ready: boolean;
}

/** Readiness changes per pod across every slice of a Service. */
export class EndpointRecorder {
  readonly #reflector: Reflector<RawEndpointSlice>;
  readonly #changes: ReadinessChange[] = [];
  #current = new Map<string, boolean>();

  constructor(world: World, namespace: string, service: string) {
    this.#reflector = new Reflector<RawEndpointSlice>({
      name: `recorder-${service}`,
      rest: world.rest,
      resource: "endpointslices",
      path: `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
      labelSelector: `${LABEL_SERVICE_NAME}=${service}`,
      transform: raw => raw as RawEndpointSlice,
      relistIntervalMs: 10 * 60_000,
      log: createLogger({ level: "warn", sink: () => undefined }),
    });
    this.#reflector.on(() => this.#recompute());
  }

  /** Starts watching; resolves once the current slices are known. */
  async start(): Promise<void> {
    this.#reflector.start();
    if (!(await this.#reflector.waitForSync(30_000)))
      throw new Error("endpoint recorder: list failed");
  }

  /** Stops watching. */
  stop(): Promise<void> {
    return this.#reflector.stop();
  }

  /** Every change seen so far. */
  changes(): readonly ReadinessChange[] {
    return [...this.#changes];
  }

  /** Changes seen at or after `since` (ms since the epoch). */
  changesSince(since: number): ReadinessChange[] {
    return this.#changes.filter(c => c.at >= since);
  }

  /** Current readiness per pod. */
  current(): ReadonlyMap<string, boolean> {
    return new Map(this.#current);
  }

  /** Time of the first change at or after `since` that set `pod` to `ready`. */
  firstChange(pod: string, ready: boolean, since: number): number | undefined {
    return this.#changes.find(c => c.at >= since && c.pod === pod && c.ready === ready)?.at;
  }

  #recompute(): void {
    const now = Date.now();
    const next = new Map<string, boolean>();
    for (const row of endpointRows([...this.#reflector.values()])) {
      next.set(row.pod, (next.get(row.pod) ?? false) || row.ready);
    }
    for (const pod of new Set([...this.#current.keys(), ...next.keys()])) {
      const before = this.#current.get(pod) ?? false;
      const after = next.get(pod) ?? false;
      if (before !== after) this.#changes.push({ at: now, pod, ready: after });
    }
    this.#current = next;
  }
}
