// The agent's composition root and control loop: informers in, probe workers and EndpointSlice
// writes out. The rooms it wires together each have one job:
//
//   informers (SWHs, pods of this node, own slices, referenced Secrets)
//     -> recompute (debounced): desired endpoints + worker specs -> scheduler.sync
//   probe state changes (scheduler onChange) and slice drift (informer)
//     -> mark the SWH dirty in the sync queue (sync/sync-queue.ts: coalescing, retries)
//     -> the slice syncer (sync/slice-syncer.ts): evaluate endpoints -> build slices -> plan
//        against the store -> apply (re-plan on 409)
//   adopted health from the previous agent's slices: sync/adoption-state.ts
//   the endpoint gauge: sync/endpoint-counts.ts; which SWHs a recompute touched:
//   sync/desired-changes.ts; the rooms built and connected: agent-rooms.ts
//
// Start-up order is what makes restarts flap-free: wait for the informers, adopt the published
// slices as initial probe states, wait (bounded) for referenced Secrets, and only then start
// probing and writing. Nothing is written before the caches are synced; a failed flush is retried
// with backoff (API server outage) while probing goes on; a periodic resync re-checks every SWH
// (zero writes when nothing drifted). Shutdown stops probing and leaves slices and the Lease as
// they are, so a rolling restart changes nothing that consumers see.

import { buildRooms, type AgentRooms } from "./agent-rooms.js";
import type { AgentConfig } from "./config.js";
import { computeDesired, type DesiredState } from "./desired/endpoints.js";
import {
  sleep,
  describeError,
  type RawEndpointSlice,
  type ReflectorEvent,
  type KubeRest,
} from "swh-kube-client";
import type { Logger } from "./log.js";
import type { AgentMetrics } from "./metrics.js";
import type { Clock, ProbeState, SchedulerObserver, WorkerSpec } from "./scheduler/types.js";
import { controllerUid } from "./slices/store.js";
import { DesiredChanges } from "./sync/desired-changes.js";
import { DrainWarnings } from "./drain-warnings.js";

/** What the agent needs from the probe scheduler (ProbeScheduler implements it). */
export interface SchedulerLike {
  sync(desired: readonly WorkerSpec[]): void;
  state(key: string): ProbeState | undefined;
  size(): number;
  stop(): Promise<void>;
}

/** Builds the scheduler with the agent's callbacks. */
export type SchedulerFactory = (callbacks: {
  onChange: (key: string, state: ProbeState) => void;
  observer: SchedulerObserver;
}) => SchedulerLike;

/** Options of Agent. */
export interface AgentOptions {
  readonly config: AgentConfig;
  readonly rest: KubeRest;
  readonly log: Logger;
  readonly metrics: AgentMetrics;
  readonly createScheduler: SchedulerFactory;
  readonly now?: () => number;
  /** Timers of the write queue (tests step them). */
  readonly clock?: Clock;
}

/** Longest wait for referenced Secrets before the first sync (ms). */
const SECRET_SETTLE_MS = 10_000;
/** Expectations of own writes the informer never confirmed are dropped after this (ms). */
const EXPECTATION_TTL_MS = 60_000;

/** The node agent (see file header). */
export class Agent {
  readonly #o: AgentOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #r: AgentRooms;
  readonly #changes = new DesiredChanges();
  readonly #stop = new AbortController();

  #desired: DesiredState | undefined;
  #started = false;
  #recomputeTimer: NodeJS.Timeout | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;

  constructor(options: AgentOptions) {
    this.#o = options;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#r = buildRooms(options, {
      inputsChanged: () => this.#scheduleRecompute(),
      needsSync: uid => this.#markDirty(uid),
      desired: uid => this.#desired?.swhs.get(uid),
      zoneChanged: () => this.#markAllDirty(),
    });
    const { informers } = this.#r;
    informers.swhs.on(() => this.#scheduleRecompute());
    const drainWarnings = new DrainWarnings(this.#log);
    informers.pods.on(event => {
      if (event.type === "upsert") drainWarnings.upsert(event.object);
      else drainWarnings.delete(event.object);
      this.#scheduleRecompute();
    });
    informers.slices.on(event => this.#onSliceEvent(event));
  }

  /** Probing and writing have begun (informers synced, slices adopted). */
  get started(): boolean {
    return this.#started;
  }

  /** Readiness for /readyz, with reasons when not ready. */
  readiness(): { ready: boolean; reasons: string[] } {
    const reasons = this.#r.informers.unsynced().map(name => `informer ${name} not synced`);
    if (!this.#started) reasons.push("not started");
    if (!this.#r.heartbeat.fresh()) reasons.push("heartbeat Lease not renewed recently");
    return { ready: reasons.length === 0, reasons };
  }

  /**
   * Starts informers, waits for them, adopts published slices, then starts probing, writing and
   * the heartbeat. Resolves once started (or when stopped first).
   */
  async start(): Promise<void> {
    const signal = this.#stop.signal;
    const { informers, adoption, history, drains, store, heartbeat } = this.#r;
    informers.start();
    this.#r.zone.start();
    await informers.waitForSync(signal, this.#now);
    if (signal.aborted) return;
    const nowIso = new Date(this.#now()).toISOString();
    for (const [key, a] of adoption.adopt(store.all())) {
      history.seed(key, { healthy: a.healthy, since: a.lastTransitionTime ?? nowIso });
      if (a.drained === true) drains.seed(key);
    }
    this.#recompute();
    await this.#waitForSecrets(signal);
    if (signal.aborted) return;
    this.#started = true;
    this.#recompute();
    const adoptedEndpoints = adoption.close();
    heartbeat.start();
    this.#resyncTimer = setInterval(() => this.#resync(), this.#o.config.resyncIntervalMs);
    this.#resyncTimer.unref();
    this.#log.info("agent started", {
      node: this.#o.config.nodeName,
      swhs: informers.swhs.size,
      pods: informers.pods.size,
      slices: store.size,
      adoptedEndpoints,
      workers: this.#r.scheduler.size(),
    });
    this.#markAllDirty();
  }

  /**
   * Stops probing, the heartbeat and the informers. Slices are left as they are and the Lease is
   * not released (see file header); an in-flight flush is allowed to finish (bounded).
   */
  async stop(): Promise<void> {
    this.#stop.abort();
    clearTimeout(this.#recomputeTimer);
    clearInterval(this.#resyncTimer);
    const r = this.#r;
    r.zone.stop();
    await r.scheduler.stop();
    await r.heartbeat.stop();
    await r.informers.stop();
    await r.secrets.stop();
    await Promise.race([Promise.all([r.queue.stop(), r.events.flush()]), sleep(3_000)]);
  }

  /** Runs a flush now (tests and benchmarks); resolves when it ended. */
  async flushNow(): Promise<void> {
    await this.#r.queue.flushNow();
  }

  async #waitForSecrets(signal: AbortSignal): Promise<void> {
    const { secrets } = this.#r;
    const deadline = this.#now() + SECRET_SETTLE_MS;
    while (!signal.aborted && !secrets.settled() && this.#now() < deadline) {
      await sleep(50, signal);
    }
    if (!secrets.settled()) {
      this.#log.warn("some credentials Secrets were not read in time; their probes wait", {
        secrets: secrets.size,
      });
    }
  }

  #onSliceEvent(event: ReflectorEvent<RawEndpointSlice>): void {
    const { store } = this.#r;
    const changed =
      event.type === "upsert"
        ? store.upsert(event.object, event.listStartedAt)
        : store.remove(event.object, event.listStartedAt);
    // Drift (someone else wrote or deleted our slice, e.g. fencing): re-check its SWH.
    if (changed && this.#started) this.#markDirty(controllerUid(event.object));
  }

  #scheduleRecompute(): void {
    if (this.#recomputeTimer || this.#stop.signal.aborted) return;
    this.#recomputeTimer = setTimeout(() => {
      this.#recomputeTimer = undefined;
      try {
        this.#recompute();
      } catch (err) {
        this.#log.error("recompute failed", { error: describeError(err) });
      }
    }, this.#o.config.writeCoalesceMs);
    this.#recomputeTimer.unref();
  }

  /** Recomputes desired state from the caches and marks the SWHs whose desired state changed. */
  #recompute(): void {
    const { informers, secrets, scheduler, adoption, history, drains } = this.#r;
    const desired = computeDesired({
      swhs: informers.swhs.values(),
      pods: informers.pods.values(),
      credentials: (ns, name) => secrets.lookup(ns, name),
      adoptedHealthy: (key, name) => (this.#started ? adoption.healthy(key, name) : undefined),
    });
    this.#desired = desired;
    secrets.ensure(desired.secrets);
    if (!this.#started) return;
    scheduler.sync(desired.workers);
    this.#o.metrics.workers.set(scheduler.size());
    adoption.retain(new Set(desired.workers.map(w => w.key)));
    const endpointKeys = new Set(
      [...desired.swhs.values()].flatMap(s => s.endpoints.map(e => e.key)),
    );
    history.retain(endpointKeys);
    drains.retain(endpointKeys);
    for (const uid of this.#changes.changed(desired.swhs)) this.#markDirty(uid);
  }

  #markDirty(uid: string): void {
    if (!this.#started || this.#stop.signal.aborted) return;
    this.#r.queue.mark(uid);
  }

  #markAllDirty(): void {
    for (const uid of this.#desired?.swhs.keys() ?? []) this.#markDirty(uid);
    for (const uid of this.#r.store.owners()) this.#markDirty(uid);
  }

  #resync(): void {
    const expired = this.#r.store.expireExpectations(EXPECTATION_TTL_MS);
    if (expired > 0) this.#log.debug("dropped unconfirmed write expectations", { expired });
    this.#markAllDirty();
  }
}
