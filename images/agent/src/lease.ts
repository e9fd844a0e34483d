// The agent's heartbeat: a coordination.k8s.io/v1 Lease `swh-agent-<node>` in the agent's
// namespace, renewed every renew interval. The fencing hook marks a node's endpoints not ready
// when its Lease is older than leaseDurationSeconds, so renewing means "my slices are live".
// API errors are retried (sooner than the renew interval) and never fatal. On shutdown the Lease
// is NOT released: a rolling restart of the DaemonSet must not fence the node's endpoints for
// the seconds the new agent needs to start; if no agent returns, the Lease simply expires.

import {
  ANNOTATION_SILENT_SINCE,
  LABEL_LEASE_COMPONENT,
  LABEL_NODE_NAME,
  LEASE_COMPONENT_VALUE,
  leaseNameForNode,
} from "../../../api/contract.js";
import { microTime } from "../../../api/micro-time.js";
import {
  Backoff,
  sleep,
  describeError,
  isConflict,
  isNotFound,
  type RawLease,
  type KubeRest,
} from "swh-kube-client";
import type { Logger } from "./log.js";
import { nodeLabelValue } from "./slices/build.js";

/** Options of Heartbeat. */
export interface HeartbeatOptions {
  readonly rest: KubeRest;
  readonly namespace: string;
  readonly nodeName: string;
  readonly leaseDurationMs: number;
  readonly renewIntervalMs: number;
  readonly log: Logger;
  readonly now?: () => number;
  /** Called after each attempt (for metrics). */
  readonly onRenew?: (ok: boolean, atMs: number) => void;
}

/**
 * The Lease body to write at `nowMs`: `existing` (the last Lease this agent wrote or read)
 * renewed by this node, or a new Lease. A Lease held by another identity is taken over
 * (acquireTime reset, leaseTransitions incremented).
 *
 * A renewal that comes after missed ones (more than two renew intervals since the last, or after
 * the Lease expired) is a comeback: the agent was cut off, as every agent is in an API server
 * outage. It re-acquires the Lease (acquireTime = now) and records the last renewal before the
 * silence in ANNOTATION_SILENT_SINCE, which tells the fencing hook which other nodes' silence
 * the same outage explains (hooks/endpointslice-gc/fencing-outage.ts).
 */
export function renewedLease(
  existing: RawLease | undefined,
  o: { namespace: string; nodeName: string; leaseDurationMs: number; renewIntervalMs: number },
  nowMs: number,
): RawLease {
  const now = microTime(nowMs);
  const spec = existing?.spec ?? {};
  const holding = holdingOf(spec, o, nowMs);
  const held = holding.kind === "held";
  const silentSince = holding.kind === "comeback" ? holding.silentSince : undefined;
  const metadata = leaseMetadata(existing, o);
  const transitions = spec.leaseTransitions ?? 0;
  const takenFromOther =
    spec.holderIdentity !== o.nodeName &&
    spec.holderIdentity !== undefined &&
    spec.holderIdentity !== "";
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: held ? metadata : withSilentSince(metadata, silentSince),
    spec: {
      ...spec,
      holderIdentity: o.nodeName,
      leaseDurationSeconds: Math.ceil(o.leaseDurationMs / 1000),
      acquireTime: held && spec.acquireTime ? spec.acquireTime : now,
      renewTime: now,
      leaseTransitions: takenFromOther ? transitions + 1 : transitions,
    },
  };
}

/** What this renewal is to the Lease: held on, a comeback after missed renewals, or new. */
type Holding =
  | { readonly kind: "held" }
  | { readonly kind: "comeback"; readonly silentSince: string }
  | { readonly kind: "new" };

function holdingOf(
  spec: NonNullable<RawLease["spec"]>,
  o: { nodeName: string; renewIntervalMs: number },
  nowMs: number,
): Holding {
  const renewedMs = spec.renewTime ? Date.parse(spec.renewTime) : Number.NaN;
  if (spec.holderIdentity !== o.nodeName || !spec.renewTime || !Number.isFinite(renewedMs)) {
    return { kind: "new" };
  }
  const lapsed = renewedMs + (spec.leaseDurationSeconds ?? 0) * 1000 < nowMs;
  const missed = renewedMs + 2 * o.renewIntervalMs < nowMs;
  return lapsed || missed ? { kind: "comeback", silentSince: spec.renewTime } : { kind: "held" };
}

/**
 * `metadata` with ANNOTATION_SILENT_SINCE set to `since` (a comeback) or removed (a new or
 * taken-over Lease, which vouches for nobody's silence).
 */
function withSilentSince(
  metadata: NonNullable<RawLease["metadata"]>,
  since: string | undefined,
): NonNullable<RawLease["metadata"]> {
  const annotations = { ...(metadata.annotations ?? {}) };
  delete annotations[ANNOTATION_SILENT_SINCE];
  if (since !== undefined) annotations[ANNOTATION_SILENT_SINCE] = since;
  const out: NonNullable<RawLease["metadata"]> = { ...metadata, annotations };
  if (Object.keys(annotations).length === 0) delete out.annotations;
  return out;
}

function leaseMetadata(
  existing: RawLease | undefined,
  o: { namespace: string; nodeName: string },
): NonNullable<RawLease["metadata"]> {
  const metadata = existing?.metadata ?? {};
  return {
    ...metadata,
    name: leaseNameForNode(o.nodeName),
    namespace: o.namespace,
    labels: {
      ...(metadata.labels ?? {}),
      [LABEL_LEASE_COMPONENT]: LEASE_COMPONENT_VALUE,
      [LABEL_NODE_NAME]: nodeLabelValue(o.nodeName),
    },
  };
}

/** Renews the node's Lease in the background (see file header). */
export class Heartbeat {
  readonly #o: HeartbeatOptions;
  readonly #now: () => number;
  readonly #backoff = new Backoff({ initialMs: 500, maxMs: 5_000 });
  #lease: RawLease | undefined;
  #lastRenewedAt: number | undefined;
  #abort = new AbortController();
  #running: Promise<void> | undefined;

  constructor(options: HeartbeatOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** When the Lease was last renewed (ms), if ever. */
  get lastRenewedAt(): number | undefined {
    return this.#lastRenewedAt;
  }

  /** True when the Lease was renewed less than a lease duration ago. */
  fresh(): boolean {
    return (
      this.#lastRenewedAt !== undefined &&
      this.#now() - this.#lastRenewedAt < this.#o.leaseDurationMs
    );
  }

  /** Starts renewing (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#abort = new AbortController();
    this.#running = this.#loop(this.#abort.signal);
  }

  /** Stops renewing; the Lease is left to expire (see file header). */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
    this.#running = undefined;
  }

  /** One renewal attempt; returns whether it succeeded. */
  async renewOnce(): Promise<boolean> {
    try {
      await this.#renew();
      this.#backoff.reset();
      this.#lastRenewedAt = this.#now();
      this.#o.onRenew?.(true, this.#lastRenewedAt);
      return true;
    } catch (err) {
      this.#lease = undefined;
      this.#o.onRenew?.(false, this.#now());
      this.#o.log.warn("heartbeat Lease renewal failed; retrying", {
        lease: leaseNameForNode(this.#o.nodeName),
        error: describeError(err),
      });
      return false;
    }
  }

  async #loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const ok = await this.renewOnce();
      const wait = ok
        ? this.#o.renewIntervalMs
        : Math.min(this.#o.renewIntervalMs, this.#backoff.next());
      await sleep(wait, signal);
    }
  }

  #path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#o.namespace)}/leases`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  async #renew(): Promise<void> {
    const name = leaseNameForNode(this.#o.nodeName);
    if (!this.#lease) this.#lease = await this.#get(name);
    const body = renewedLease(this.#lease, this.#o, this.#now());
    try {
      this.#lease = await (this.#lease ? this.#update(name, body) : this.#create(body));
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw err;
      // Someone else wrote it (or it vanished): re-read and try once more.
      this.#lease = await this.#get(name);
      const retry = renewedLease(this.#lease, this.#o, this.#now());
      this.#lease = await (this.#lease ? this.#update(name, retry) : this.#create(retry));
    }
  }

  async #get(name: string): Promise<RawLease | undefined> {
    try {
      return await this.#o.rest.request<RawLease>({
        verb: "get",
        resource: "leases",
        path: this.#path(name),
        timeoutMs: 5_000,
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  #create(body: RawLease): Promise<RawLease> {
    const metadata = { ...body.metadata };
    delete metadata.resourceVersion;
    return this.#o.rest.request<RawLease>({
      verb: "create",
      resource: "leases",
      path: this.#path(),
      body: { ...body, metadata },
      timeoutMs: 5_000,
    });
  }

  #update(name: string, body: RawLease): Promise<RawLease> {
    return this.#o.rest.request<RawLease>({
      verb: "update",
      resource: "leases",
      path: this.#path(name),
      body,
      timeoutMs: 5_000,
    });
  }
}
