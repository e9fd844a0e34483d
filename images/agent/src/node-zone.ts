// The zone of the agent's node (its `topology.kubernetes.io/zone` label), which the agent puts
// on every endpoint it publishes, with topology hints when an SWH asks for a trafficDistribution:
// kube-proxy honours a Service's trafficDistribution only when every ready endpoint carries hints,
// as the EndpointSlice controller writes them for a plain Service. Read with one GET of the own
// Node at start and again every `refreshMs` (a node's zone label is set when it joins and
// practically never changes, so a watch of every Node would cost more than it gives); a failed
// read is retried sooner. Until the first read succeeds the zone is unknown, and endpoints go
// out without zone or hints — kube-proxy then routes cluster-wide, as without trafficDistribution.
import { describeError, type KubeRest } from "swh-kube-client";
import type { Logger } from "./log.js";

/** The well-known zone label. */
export const LABEL_ZONE = "topology.kubernetes.io/zone";

/** Options of NodeZone. */
export interface NodeZoneOptions {
  readonly rest: KubeRest;
  readonly nodeName: string;
  readonly log: Logger;
  /** Called when the zone changed (every SWH must be re-synced). */
  readonly onChange: (zone: string | undefined) => void;
  /** Between successful reads (ms). */
  readonly refreshMs?: number;
  /** After a failed read (ms). */
  readonly retryMs?: number;
}

interface NodeJson {
  readonly metadata?: { readonly labels?: Readonly<Record<string, string>> };
}

/** The zone label of a Node object; undefined when absent or empty. */
export function zoneOf(node: NodeJson): string | undefined {
  const zone = node.metadata?.labels?.[LABEL_ZONE];
  return zone ? zone : undefined;
}

/** The node's zone, kept fresh (see file header). */
export class NodeZone {
  readonly #o: NodeZoneOptions;
  #zone: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: NodeZoneOptions) {
    this.#o = options;
  }

  /** The zone, when known. */
  get zone(): string | undefined {
    return this.#zone;
  }

  /** Reads the zone now, then keeps reading it. */
  start(): void {
    void this.#read();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #read(): Promise<void> {
    let next = this.#o.refreshMs ?? 600_000;
    try {
      const node = await this.#o.rest.request<NodeJson>({
        verb: "get",
        resource: "nodes",
        path: `/api/v1/nodes/${encodeURIComponent(this.#o.nodeName)}`,
        timeoutMs: 5_000,
      });
      const zone = zoneOf(node);
      if (zone !== this.#zone) {
        this.#o.log.info("node zone", { node: this.#o.nodeName, zone: zone ?? null });
        this.#zone = zone;
        this.#o.onChange(zone);
      }
    } catch (err) {
      next = this.#o.retryMs ?? 30_000;
      this.#o.log.warn("reading the node's zone failed; endpoints carry no zone until it works", {
        node: this.#o.nodeName,
        error: describeError(err),
      });
    }
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#read(), next);
    this.#timer.unref();
  }
}
