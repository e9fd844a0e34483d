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
//   the endpoint gauge: sync/endpoint-counts.ts
//
// Start-up order is what makes restarts flap-free: wait for the informers, adopt the published
// slices as initial probe states, wait (bounded) for referenced Secrets, and only then start
// probing and writing. Nothing is written before the caches are synced; a failed flush is retried
// with backoff (API server outage) while probing goes on; a periodic resync re-checks every SWH
// (zero writes when nothing drifted). Shutdown stops probing and leaves slices and the Lease as
// they are, so a rolling restart changes nothing that consumers see.

import { createHash } from "node:crypto";
import { LABEL_MANAGED_BY, LABEL_NODE_NAME, MANAGED_BY_VALUE } from "../../../api/contract.js";
import type { AgentConfig } from "./config.js";
import {
  computeDesired,
  swhUidOfWorkerKey,
  type DesiredState,
  type SwhDesired,
} from "./desired/endpoints.js";
import { podSnapshot, type PodSnapshot } from "./desired/pods.js";
import { swhSnapshot, type SwhSnapshot } from "./desired/swh.js";
import { EndpointHistory } from "./endpoint-history.js";
import { ApiEventWriter } from "./events/api-writer.js";
import { EventRecorder } from "./events/recorder.js";
import { sleep } from "./kube/backoff.js";
import { describeError } from "./kube/errors.js";
import { isRecord, type RawEndpointSlice } from "./kube/objects.js";
import { Reflector, type ReflectorEvent } from "./kube/reflector.js";
import type { KubeRest } from "./kube/rest.js";
import { Heartbeat } from "./lease.js";
import type { Logger } from "./log.js";
import type { AgentMetrics } from "./metrics.js";
import { realClock } from "./scheduler/clock.js";
import type { ProbeSpec, Prober } from "./probes/types.js";
import { ProbeScheduler } from "./scheduler/scheduler.js";
import type { Clock, ProbeState, SchedulerObserver, WorkerSpec } from "./scheduler/types.js";
import { SecretWatcher } from "./secrets.js";
import { SliceApplier, retriable } from "./slices/applier.js";
import { nodeLabelValue } from "./slices/build.js";
import { SliceStore, controllerUid } from "./slices/store.js";
import { AdoptionState } from "./sync/adoption-state.js";
import { EndpointCounts } from "./sync/endpoint-counts.js";
import { SliceSyncer } from "./sync/slice-syncer.js";
import { SyncQueue } from "./sync/sync-queue.js";

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

/** SWHs synced at once during a flush. */
const FLUSH_CONCURRENCY = 8;
/** Longest wait for referenced Secrets before the first sync (ms). */
const SECRET_SETTLE_MS = 10_000;
/** Expectations of own writes the informer never confirmed are dropped after this (ms). */
const EXPECTATION_TTL_MS = 60_000;

const SWH_PATH = "/apis/network.deckhouse.io/v1alpha1/servicewithhealthchecks";

/** The node agent (see file header). */
export class Agent {
  readonly #o: AgentOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #swhs: Reflector<SwhSnapshot>;
  readonly #pods: Reflector<PodSnapshot>;
  readonly #sliceInformer: Reflector<RawEndpointSlice>;
  readonly #secrets: SecretWatcher;
  readonly #store: SliceStore;
  readonly #heartbeat: Heartbeat;
  readonly #events: EventRecorder;
  readonly #scheduler: SchedulerLike;
  readonly #history = new EndpointHistory();
  readonly #adoption = new AdoptionState();
  readonly #counts = new EndpointCounts();
  readonly #queue: SyncQueue;
  readonly #stop = new AbortController();

  #desired: DesiredState | undefined;
  #fingerprints = new Map<string, string>();
  #started = false;
  #recomputeTimer: NodeJS.Timeout | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;

  constructor(options: AgentOptions) {
    const { config, rest, metrics } = options;
    this.#o = options;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    const nodeLabel = nodeLabelValue(config.nodeName);
    const observer = metrics.reflectorObserver();
    const common = { rest, relistIntervalMs: config.resyncIntervalMs, observer };
    this.#swhs = new Reflector({
      ...common,
      name: "servicewithhealthchecks",
      resource: "servicewithhealthchecks",
      path: SWH_PATH,
      transform: swhSnapshot,
      log: this.#log.child({ informer: "servicewithhealthchecks" }),
    });
    this.#pods = new Reflector({
      ...common,
      name: "pods",
      resource: "pods",
      path: "/api/v1/pods",
      fieldSelector: `spec.nodeName=${config.nodeName}`,
      transform: podSnapshot,
      log: this.#log.child({ informer: "pods" }),
    });
    this.#sliceInformer = new Reflector({
      ...common,
      name: "endpointslices",
      resource: "endpointslices",
      path: "/apis/discovery.k8s.io/v1/endpointslices",
      labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE},${LABEL_NODE_NAME}=${nodeLabel}`,
      transform: raw => (isRecord(raw) ? (raw as unknown as RawEndpointSlice) : undefined),
      log: this.#log.child({ informer: "endpointslices" }),
    });
    this.#secrets = new SecretWatcher({
      rest,
      log: this.#log,
      relistIntervalMs: config.resyncIntervalMs,
      observer,
      onChange: () => this.#scheduleRecompute(),
    });
    this.#store = new SliceStore(this.#now);
    this.#heartbeat = new Heartbeat({
      rest,
      namespace: config.namespace,
      nodeName: config.nodeName,
      leaseDurationMs: config.leaseDurationMs,
      renewIntervalMs: config.leaseRenewIntervalMs,
      log: this.#log,
      now: this.#now,
      onRenew: (ok, at) => {
        metrics.leaseRenewals.labels(ok ? "success" : "error").inc();
        if (ok) metrics.leaseLastRenew.set(at / 1000);
      },
    });
    this.#events = new EventRecorder({
      writer: new ApiEventWriter(rest),
      nodeName: config.nodeName,
      log: this.#log,
      now: this.#now,
      onOutcome: (reason, outcome) => metrics.events.labels(reason, outcome).inc(),
    });
    const schedulerObserver = metrics.schedulerObserver();
    this.#scheduler = options.createScheduler({
      onChange: key => this.#markDirty(swhUidOfWorkerKey(key)),
      observer: {
        ...schedulerObserver,
        onProbe: (spec, outcome, lateMs) => {
          schedulerObserver.onProbe?.(spec, outcome, lateMs);
          if (config.verboseStatus) this.#markDirty(swhUidOfWorkerKey(spec.key));
        },
      },
    });
    const syncer = this.#newSyncer(nodeLabel);
    this.#queue = new SyncQueue({
      clock: options.clock ?? realClock,
      coalesceMs: config.writeCoalesceMs,
      concurrency: FLUSH_CONCURRENCY,
      sync: (uid, since) => syncer.sync(uid, since),
      retriable,
      onFlushed: () => this.#publishEndpointCounts(),
      log: this.#log,
    });
    this.#swhs.on(() => this.#scheduleRecompute());
    this.#pods.on(() => this.#scheduleRecompute());
    this.#sliceInformer.on(event => this.#onSliceEvent(event));
  }

  #newSyncer(nodeLabel: string): SliceSyncer {
    const { config, rest, metrics } = this.#o;
    return new SliceSyncer({
      nodeName: config.nodeName,
      verbose: config.verboseStatus,
      desired: uid => this.#desired?.swhs.get(uid),
      stateOf: key => this.#adoption.stateOf(key, this.#scheduler.state(key), this.#now()),
      ownedBy: uid => this.#store.ownedBy(uid),
      applier: new SliceApplier({
        rest,
        store: this.#store,
        nodeLabel,
        log: this.#log,
        onWrite: (op, ok) => metrics.sliceWrites.labels(op, ok ? "success" : "error").inc(),
      }),
      history: this.#history,
      events: this.#events,
      log: this.#log,
      now: this.#now,
      onEvaluated: (uid, evaluated) => this.#counts.set(uid, evaluated),
      onPropagated: seconds => metrics.propagation.observe(seconds),
    });
  }

  /** Probing and writing have begun (informers synced, slices adopted). */
  get started(): boolean {
    return this.#started;
  }

  /** Readiness for /readyz, with reasons when not ready. */
  readiness(): { ready: boolean; reasons: string[] } {
    const reasons = this.#unsynced().map(name => `informer ${name} not synced`);
    if (!this.#started) reasons.push("not started");
    if (!this.#heartbeat.fresh()) reasons.push("heartbeat Lease not renewed recently");
    return { ready: reasons.length === 0, reasons };
  }

  /**
   * Starts informers, waits for them, adopts published slices, then starts probing, writing and
   * the heartbeat. Resolves once started (or when stopped first).
   */
  async start(): Promise<void> {
    const signal = this.#stop.signal;
    for (const r of [this.#swhs, this.#pods, this.#sliceInformer]) r.start();
    await this.#waitForInformers(signal);
    if (signal.aborted) return;
    const adopted = this.#adoption.adopt(this.#store.all());
    const nowIso = new Date(this.#now()).toISOString();
    for (const [key, a] of adopted) {
      this.#history.seed(key, { healthy: a.healthy, since: a.lastTransitionTime ?? nowIso });
    }
    this.#recompute();
    await this.#waitForSecrets(signal);
    if (signal.aborted) return;
    this.#started = true;
    this.#recompute();
    const adoptedEndpoints = this.#adoption.close();
    this.#heartbeat.start();
    this.#resyncTimer = setInterval(() => this.#resync(), this.#o.config.resyncIntervalMs);
    this.#resyncTimer.unref();
    this.#log.info("agent started", {
      node: this.#o.config.nodeName,
      swhs: this.#swhs.size,
      pods: this.#pods.size,
      slices: this.#store.size,
      adoptedEndpoints,
      workers: this.#scheduler.size(),
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
    await this.#scheduler.stop();
    await this.#heartbeat.stop();
    await Promise.all([this.#swhs, this.#pods, this.#sliceInformer].map(r => r.stop()));
    await this.#secrets.stop();
    await Promise.race([Promise.all([this.#queue.stop(), this.#events.flush()]), sleep(3_000)]);
  }

  /** Runs a flush now (tests and benchmarks); resolves when it ended. */
  async flushNow(): Promise<void> {
    await this.#queue.flushNow();
  }

  /** Names of the core informers that have not synced yet. */
  #unsynced(): string[] {
    const informers: Array<[string, { readonly synced: boolean }]> = [
      ["servicewithhealthchecks", this.#swhs],
      ["pods", this.#pods],
      ["endpointslices", this.#sliceInformer],
    ];
    return informers.filter(([, r]) => !r.synced).map(([name]) => name);
  }

  async #waitForInformers(signal: AbortSignal): Promise<void> {
    let lastLog = this.#now();
    while (!signal.aborted && this.#unsynced().length > 0) {
      await sleep(50, signal);
      if (this.#now() - lastLog >= 10_000) {
        lastLog = this.#now();
        this.#log.warn("waiting for informers to sync", { pending: this.#unsynced() });
      }
    }
  }

  async #waitForSecrets(signal: AbortSignal): Promise<void> {
    const deadline = this.#now() + SECRET_SETTLE_MS;
    while (!signal.aborted && !this.#secrets.settled() && this.#now() < deadline) {
      await sleep(50, signal);
    }
    if (!this.#secrets.settled()) {
      this.#log.warn("some credentials Secrets were not read in time; their probes wait", {
        secrets: this.#secrets.size,
      });
    }
  }

  #onSliceEvent(event: ReflectorEvent<RawEndpointSlice>): void {
    const changed =
      event.type === "upsert"
        ? this.#store.upsert(event.object, event.listStartedAt)
        : this.#store.remove(event.object, event.listStartedAt);
    // Drift (someone else wrote or deleted our slice, e.g. fencing): re-check its SWH.
    if (changed && this.#started) this.#markDirty(controllerUid(event.object));
  }

  #scheduleRecompute(): void {
    if (this.#recomputeTimer || this.#stop.signal.aborted) return;
    this.#recomputeTimer = setTimeout(() => {
      this.#recomputeTimer = undefined;
      this.#safely("recompute", () => this.#recompute());
    }, this.#o.config.writeCoalesceMs);
    this.#recomputeTimer.unref();
  }

  #safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error(`${what} failed`, { error: describeError(err) });
    }
  }

  /** Recomputes desired state from the caches and marks the SWHs whose desired state changed. */
  #recompute(): void {
    const desired = computeDesired({
      swhs: this.#swhs.values(),
      pods: this.#pods.values(),
      credentials: (ns, name) => this.#secrets.lookup(ns, name),
      adoptedHealthy: (key, name) =>
        this.#started ? this.#adoption.healthy(key, name) : undefined,
    });
    this.#desired = desired;
    this.#secrets.ensure(desired.secrets);
    if (!this.#started) return;
    this.#scheduler.sync(desired.workers);
    this.#o.metrics.workers.set(this.#scheduler.size());
    this.#adoption.retain(new Set(desired.workers.map(w => w.key)));
    this.#history.retain(
      new Set([...desired.swhs.values()].flatMap(s => s.endpoints.map(e => e.key))),
    );
    const fingerprints = desiredFingerprints(desired.swhs);
    for (const [uid, fp] of fingerprints) {
      if (this.#fingerprints.get(uid) !== fp) this.#markDirty(uid);
    }
    for (const uid of this.#fingerprints.keys()) {
      if (!fingerprints.has(uid)) this.#markDirty(uid);
    }
    this.#fingerprints = fingerprints;
  }

  #markDirty(uid: string): void {
    if (!this.#started || this.#stop.signal.aborted) return;
    this.#queue.mark(uid);
  }

  #markAllDirty(): void {
    for (const uid of this.#desired?.swhs.keys() ?? []) this.#markDirty(uid);
    for (const uid of this.#store.owners()) this.#markDirty(uid);
  }

  #resync(): void {
    const expired = this.#store.expireExpectations(EXPECTATION_TTL_MS);
    if (expired > 0) this.#log.debug("dropped unconfirmed write expectations", { expired });
    this.#markAllDirty();
  }

  #publishEndpointCounts(): void {
    const total = this.#counts.total();
    const g = this.#o.metrics.endpoints;
    g.labels("ready").set(total.ready);
    g.labels("not_ready").set(total.notReady);
    g.labels("terminating").set(total.terminating);
  }
}

/** A fingerprint per SWH of what its slices depend on besides probe states. Pure. */
export function desiredFingerprints(swhs: ReadonlyMap<string, SwhDesired>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [uid, sd] of swhs) {
    const fp = createHash("sha1")
      .update(JSON.stringify([sd.swh, sd.publishNotReadyAddresses, sd.endpoints]))
      .digest("base64");
    out.set(uid, fp);
  }
  return out;
}

/** What createAgent needs besides the configuration. */
export interface AgentDeps {
  readonly rest: KubeRest;
  readonly log: Logger;
  readonly metrics: AgentMetrics;
  /** Probers by mode (default: the real TCP, HTTP and PostgreSQL probers). */
  readonly probers?: Record<ProbeSpec["mode"], Prober>;
  /** Told of every thresholded probe state change, before the agent acts on it. */
  readonly onProbeStateChange?: (key: string, state: ProbeState) => void;
}

/** The agent as the image runs it: the real probe scheduler, sized by the configuration. */
export function createAgent(config: AgentConfig, deps: AgentDeps): Agent {
  return new Agent({
    config,
    rest: deps.rest,
    log: deps.log,
    metrics: deps.metrics,
    createScheduler: ({ onChange, observer }) =>
      new ProbeScheduler({
        maxConcurrent: config.maxConcurrentProbes,
        observer,
        ...(deps.probers ? { probers: deps.probers } : {}),
        onChange: (key, state) => {
          deps.onProbeStateChange?.(key, state);
          onChange(key, state);
        },
      }),
  });
}
