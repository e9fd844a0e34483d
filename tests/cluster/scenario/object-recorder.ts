// Watches a collection (list+watch with the agent's own Reflector, which rides out an unavailable
// API server and relists after one that restarted) and records, with timestamps, every change of a
// small view of each object — a pod's readiness and restarts, a node's Ready condition — so a
// scenario can assert afterwards on what the cluster went through, as a watching client saw it.
import { Reflector } from "swh-kube-client";
import { createLogger } from "../../../images/agent/src/log.js";
import type { World } from "../world/handle.js";

/** One observed change: the object's view from `at` on (undefined: deleted). */
export interface ObservedChange<V> {
  /** ms since the epoch. */
  readonly at: number;
  /** The object's name. */
  readonly name: string;
  readonly view: V | undefined;
}

/** What to watch and how to see it. */
export interface ObjectRecorderOptions<V> {
  /** Collection path, e.g. `/api/v1/nodes`. */
  readonly path: string;
  readonly labelSelector?: string;
  /** The view of a raw object; changes are compared as JSON. */
  readonly view: (raw: unknown) => V;
}

interface Named<V> {
  readonly name: string;
  readonly view: V;
}

/** Every change of each object's view (see file header). */
export class ObjectRecorder<V> {
  readonly #reflector: Reflector<Named<V>>;
  readonly #changes: Array<ObservedChange<V>> = [];

  constructor(world: World, opts: ObjectRecorderOptions<V>) {
    this.#reflector = new Reflector<Named<V>>({
      name: `recorder-${opts.path}`,
      rest: world.rest,
      resource: "object",
      path: opts.path,
      ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
      transform: raw => ({
        name: (raw as { metadata?: { name?: string } }).metadata?.name ?? "",
        view: opts.view(raw),
      }),
      relistIntervalMs: 10 * 60_000,
      log: createLogger({ level: "warn", sink: () => undefined }),
    });
    this.#reflector.on(event => {
      const view = event.type === "delete" ? undefined : event.object.view;
      const last = this.#changes.findLast(c => c.name === event.object.name);
      if (last && JSON.stringify(last.view) === JSON.stringify(view)) return;
      this.#changes.push({ at: Date.now(), name: event.object.name, view });
    });
  }

  /** Starts watching; resolves once the current objects are known. */
  async start(): Promise<void> {
    this.#reflector.start();
    if (!(await this.#reflector.waitForSync(30_000)))
      throw new Error("object recorder: list failed");
  }

  /** Stops watching. */
  stop(): Promise<void> {
    return this.#reflector.stop();
  }

  /** Changes seen at or after `since` (ms since the epoch), the initial list's included. */
  changesSince(since: number): Array<ObservedChange<V>> {
    return this.#changes.filter(c => c.at >= since);
  }

  /** Each object's current view, by name. */
  current(): Map<string, V> {
    return new Map([...this.#reflector.values()].map(o => [o.name, o.view]));
  }
}
