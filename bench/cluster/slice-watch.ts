// The observer's side of propagation: a watch on the benchmark node's EndpointSlices (list +
// watch through the agent's own Reflector, as the admin), recording when each endpoint was first
// seen ready and not ready after a reset, and counting the endpoint transitions it saw.

import { LABEL_NODE_NAME } from "../../api/contract.js";
import { type RawEndpoint, type RawEndpointSlice, Reflector, type KubeRest } from "swh-kube-client";
import { createLogger } from "../../images/agent/src/log.js";

/** Watches the slices of one node in one namespace. */
export class SliceWatch {
  readonly #reflector: Reflector<RawEndpointSlice>;
  /** address -> ready, as last seen. */
  readonly #state = new Map<string, boolean>();
  /** `${address}/${ready}` -> first time seen since the last forget(). */
  readonly #seenAt = new Map<string, number>();
  #transitions = 0;

  constructor(rest: KubeRest, namespace: string, node: string) {
    this.#reflector = new Reflector<RawEndpointSlice>({
      name: "bench-slices",
      rest,
      resource: "endpointslices",
      path: `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
      labelSelector: `${LABEL_NODE_NAME}=${node}`,
      transform: raw => raw as RawEndpointSlice,
      relistIntervalMs: 3_600_000,
      log: createLogger({ level: "error", sink: line => process.stderr.write(`${line}\n`) }),
    });
    this.#reflector.on(event => {
      if (event.type !== "upsert") return;
      const now = Date.now();
      for (const endpoint of event.object.endpoints ?? []) this.#observe(endpoint, now);
    });
  }

  #observe(endpoint: RawEndpoint, now: number): void {
    const address = endpoint.addresses[0] ?? "";
    const ready = endpoint.conditions?.ready === true;
    const before = this.#state.get(address);
    if (before !== undefined && before !== ready) this.#transitions += 1;
    this.#state.set(address, ready);
    const key = `${address}/${ready}`;
    if (!this.#seenAt.has(key)) this.#seenAt.set(key, now);
  }

  /** Starts the watch and waits for the initial list. */
  async start(): Promise<void> {
    this.#reflector.start();
    if (!(await this.#reflector.waitForSync(30_000)))
      throw new Error("the slice watch did not sync in 30 s");
  }

  async stop(): Promise<void> {
    await this.#reflector.stop();
  }

  /** Number of addresses currently seen ready. */
  readyCount(): number {
    let n = 0;
    for (const ready of this.#state.values()) if (ready) n += 1;
    return n;
  }

  /** Endpoint ready/not-ready changes seen so far. */
  transitions(): number {
    return this.#transitions;
  }

  /** Whether `address` is currently seen with `ready`. */
  is(address: string, ready: boolean): boolean {
    return this.#state.get(address) === ready;
  }

  /** Forgets when `address` was seen `ready`, so the next sighting is timed afresh. */
  forget(address: string, ready: boolean): void {
    this.#seenAt.delete(`${address}/${ready}`);
  }

  /** When `address` was first seen `ready` since the last forget(). */
  seenAt(address: string, ready: boolean): number | undefined {
    return this.#seenAt.get(`${address}/${ready}`);
  }

  /** resourceVersion of every slice, sorted (unchanged means: nothing was written). */
  versions(): string[] {
    return [...this.#reflector.values()]
      .map(s => `${s.metadata?.name ?? ""}@${s.metadata?.resourceVersion ?? ""}`)
      .sort();
  }
}
