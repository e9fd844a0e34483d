// The agent's control loop: informers in, probe workers and EndpointSlice writes out.
//
//   informers (SWHs, pods of this node, own slices, referenced Secrets)
//     -> recompute (debounced): desired endpoints + worker specs -> scheduler.sync
//   probe state changes (scheduler onChange) and slice drift (informer)
//     -> mark the SWH dirty -> after the coalescing window, one flush:
//        evaluate endpoints -> build slices -> plan against the store -> apply (retry on 409)
//
// Start-up order is what makes restarts flap-free: wait for the informers, adopt the published
// slices as initial probe states, wait (bounded) for referenced Secrets, and only then start
// probing and writing. Nothing is written before the caches are synced; a failed flush is retried
// with backoff (API server outage) while probing goes on; a periodic resync re-checks every SWH
// (zero writes when nothing drifted). Shutdown stops probing and leaves slices and the Lease as
// they are, so a rolling restart changes nothing that consumers see.

import { createHash } from "node:crypto";
import { LABEL_MANAGED_BY, LABEL_NODE_NAME, MANAGED_BY_VALUE } from "../../../api/contract.js";
import {
  adoptFromSlices,
  adoptedProbe,
  type AdoptedEndpoint,
  type AdoptedProbe,
} from "./adoption.js";
import type { AgentConfig } from "./config.js";
import {
  computeDesired,
  swhUidOfWorkerKey,
  type DesiredEndpoint,
  type DesiredState,
  type SwhDesired,
} from "./desired/endpoints.js";
import { podSnapshot, type PodSnapshot } from "./desired/pods.js";
import { evaluateEndpoint, type EndpointVerdict } from "./desired/readiness.js";
import { swhSnapshot, type SwhSnapshot } from "./desired/swh.js";
import { EndpointHistory } from "./endpoint-history.js";
import { ApiEventWriter } from "./events/api-writer.js";
import { EventRecorder } from "./events/recorder.js";
import { Backoff, sleep } from "./kube/backoff.js";
import { describeError } from "./kube/errors.js";
import { isRecord, type RawEndpointSlice } from "./kube/objects.js";
import { Reflector, type ReflectorEvent } from "./kube/reflector.js";
import type { KubeRest } from "./kube/rest.js";
import { Heartbeat } from "./lease.js";
import type { Logger } from "./log.js";
import type { AgentMetrics } from "./metrics.js";
import type { ProbeState, SchedulerObserver, WorkerSpec } from "./scheduler/types.js";
import { SecretWatcher } from "./secrets.js";
import { SliceApplier, retriable } from "./slices/applier.js";
import { buildSlices, nodeLabelValue, type EvaluatedEndpoint } from "./slices/build.js";
import { planSize, planSlices } from "./slices/plan.js";
import { SliceStore, controllerUid } from "./slices/store.js";

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
}

/** SWHs synced at once during a flush. */
const FLUSH_CONCURRENCY = 8;
/** Plan/apply rounds per SWH per flush (each conflict re-plans from fresh state). */
const MAX_APPLY_ROUNDS = 4;
/** Longest wait for referenced Secrets before the first sync (ms). */
const SECRET_SETTLE_MS = 10_000;
/** Expectations of own writes the informer never confirmed are dropped after this (ms). */
const EXPECTATION_TTL_MS = 60_000;
/** Retry delay after an error that retrying soon will not fix (HTTP 400/422), ms. */
const SLOW_RETRY_MS = 30_000;

const SWH_PATH = "/apis/network.deckhouse.io/v1alpha1/servicewithhealthchecks";

async function runLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

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
  readonly #applier: SliceApplier;
  readonly #heartbeat: Heartbeat;
  readonly #events: EventRecorder;
  readonly #scheduler: SchedulerLike;
  readonly #history = new EndpointHistory();
  readonly #retryBackoff = new Backoff({ initialMs: 200, maxMs: 5_000 });
  readonly #stop = new AbortController();

  #desired: DesiredState | undefined;
  #fingerprints = new Map<string, string>();
  #adopted = new Map<string, AdoptedEndpoint>();
  readonly #adoptedProbes = new Map<string, AdoptedProbe>();
  #adoptionOpen = true;
  #started = false;
  readonly #dirty = new Map<string, number>();
  readonly #endpointCounts = new Map<
    string,
    { ready: number; notReady: number; terminating: number }
  >();
  #flushTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #recomputeTimer: NodeJS.Timeout | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;

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
    this.#applier = new SliceApplier({
      rest,
      store: this.#store,
      nodeLabel,
      log: this.#log,
      onWrite: (op, ok) => metrics.sliceWrites.labels(op, ok ? "success" : "error").inc(),
    });
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
    this.#swhs.on(() => this.#scheduleRecompute());
    this.#pods.on(() => this.#scheduleRecompute());
    this.#sliceInformer.on(event => this.#onSliceEvent(event));
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
    this.#adopted = adoptFromSlices(this.#store.all());
    const nowIso = new Date(this.#now()).toISOString();
    for (const [key, a] of this.#adopted) {
      this.#history.seed(key, { healthy: a.healthy, since: a.lastTransitionTime ?? nowIso });
    }
    this.#recompute();
    await this.#waitForSecrets(signal);
    if (signal.aborted) return;
    this.#started = true;
    this.#recompute();
    const adoptedEndpoints = this.#adopted.size;
    this.#adoptionOpen = false;
    this.#adopted = new Map();
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
    for (const t of [this.#flushTimer, this.#retryTimer, this.#recomputeTimer]) clearTimeout(t);
    clearInterval(this.#resyncTimer);
    await this.#scheduler.stop();
    await this.#heartbeat.stop();
    await Promise.all([this.#swhs, this.#pods, this.#sliceInformer].map(r => r.stop()));
    await this.#secrets.stop();
    await Promise.race([Promise.all([this.#flushing, this.#events.flush()]), sleep(3_000)]);
  }

  /** Runs a flush now (tests and benchmarks); resolves when it and any queued retry ended. */
  async flushNow(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    await this.#flush();
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

  #adoptedHealthy(workerKey: string, probeName: string): boolean | undefined {
    let adopted = this.#adoptedProbes.get(workerKey);
    if (!adopted && this.#adoptionOpen) {
      adopted = adoptedProbe(this.#adopted, workerKey, probeName);
      if (adopted) this.#adoptedProbes.set(workerKey, adopted);
    }
    return adopted?.healthy;
  }

  /** Recomputes desired state from the caches and marks the SWHs whose desired state changed. */
  #recompute(): void {
    const desired = computeDesired({
      swhs: this.#swhs.values(),
      pods: this.#pods.values(),
      credentials: (ns, name) => this.#secrets.lookup(ns, name),
      adoptedHealthy: (key, name) => (this.#started ? this.#adoptedHealthy(key, name) : undefined),
    });
    this.#desired = desired;
    this.#secrets.ensure(desired.secrets);
    if (!this.#started) return;
    this.#scheduler.sync(desired.workers);
    this.#o.metrics.workers.set(this.#scheduler.size());
    const workerKeys = new Set(desired.workers.map(w => w.key));
    for (const key of this.#adoptedProbes.keys()) {
      if (!workerKeys.has(key)) this.#adoptedProbes.delete(key);
    }
    this.#history.retain(
      new Set([...desired.swhs.values()].flatMap(s => s.endpoints.map(e => e.key))),
    );
    const fingerprints = new Map<string, string>();
    for (const [uid, sd] of desired.swhs) {
      const fp = createHash("sha1")
        .update(JSON.stringify([sd.swh, sd.publishNotReadyAddresses, sd.endpoints]))
        .digest("base64");
      fingerprints.set(uid, fp);
      if (this.#fingerprints.get(uid) !== fp) this.#markDirty(uid);
    }
    for (const uid of this.#fingerprints.keys()) {
      if (!fingerprints.has(uid)) this.#markDirty(uid);
    }
    this.#fingerprints = fingerprints;
  }

  #markDirty(uid: string): void {
    if (!this.#started || this.#stop.signal.aborted) return;
    if (!this.#dirty.has(uid)) this.#dirty.set(uid, this.#now());
    this.#scheduleFlush();
  }

  /** Arms the coalescing timer unless a flush is pending or running (it re-arms when done). */
  #scheduleFlush(): void {
    if (this.#flushTimer || this.#flushing || this.#stop.signal.aborted) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.#flushInBackground();
    }, this.#o.config.writeCoalesceMs);
    this.#flushTimer.unref();
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

  #flushInBackground(): void {
    this.#flush().catch((err: unknown) => {
      this.#log.error("flush failed unexpectedly", { error: describeError(err) });
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    this.#flushing = this.#flushOnce().finally(() => {
      this.#flushing = undefined;
      if (this.#dirty.size > 0) this.#scheduleFlush();
    });
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    const batch = [...this.#dirty];
    this.#dirty.clear();
    const failed: Array<[string, number, unknown]> = [];
    await runLimited(batch, FLUSH_CONCURRENCY, async ([uid, since]) => {
      try {
        await this.#syncSwh(uid, since);
      } catch (err) {
        failed.push([uid, since, err]);
      }
    });
    this.#updateEndpointGauge();
    if (failed.length === 0) {
      this.#retryBackoff.reset();
      return;
    }
    this.#scheduleRetry(failed);
  }

  #scheduleRetry(failed: ReadonlyArray<[string, number, unknown]>): void {
    const slow = failed.every(([, , err]) => !retriable(err));
    const delayMs = slow ? SLOW_RETRY_MS : this.#retryBackoff.next();
    this.#log.warn("EndpointSlice sync failed; retrying", {
      swhs: failed.length,
      retryInMs: delayMs,
      error: describeError(failed[0]?.[2]),
    });
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      for (const [uid, since] of failed) {
        if (!this.#dirty.has(uid)) this.#dirty.set(uid, since);
      }
      this.#flushInBackground();
    }, delayMs);
    this.#retryTimer.unref();
  }

  /** Brings one SWH's slices on this node to the desired state. Throws on API errors. */
  async #syncSwh(uid: string, dirtySince: number): Promise<void> {
    const sd = this.#desired?.swhs.get(uid);
    const evaluated = sd ? this.#evaluate(sd) : [];
    this.#countEndpoints(uid, evaluated);
    const desiredSlices = sd
      ? buildSlices({
          swh: sd.swh,
          nodeName: this.#o.config.nodeName,
          endpoints: evaluated,
          verbose: this.#o.config.verboseStatus,
        })
      : [];
    let writes = 0;
    for (let round = 0; round < MAX_APPLY_ROUNDS; round++) {
      const plan = planSlices(desiredSlices, this.#store.ownedBy(uid));
      if (planSize(plan) === 0) break;
      const outcome = await this.#applier.apply(plan);
      writes += outcome.writes;
      if (outcome.error) throw outcome.error;
      if (!outcome.conflict) break;
      if (round === MAX_APPLY_ROUNDS - 1)
        throw new Error(`EndpointSlices of SWH ${uid} kept conflicting`);
    }
    if (writes > 0) this.#o.metrics.propagation.observe((this.#now() - dirtySince) / 1000);
  }

  #stateOf(key: string): ProbeState | undefined {
    const state = this.#scheduler.state(key);
    const adopted = this.#adoptedProbes.get(key);
    if (!adopted) return state;
    if (!state || !state.known) {
      return {
        healthy: adopted.healthy,
        known: true,
        reason: adopted.reason,
        since: new Date(this.#now()),
      };
    }
    // An adopted failing probe keeps its published reason until a fresh result replaces it.
    return !state.healthy && state.reason === "" ? { ...state, reason: adopted.reason } : state;
  }

  #evaluate(sd: SwhDesired): EvaluatedEndpoint[] {
    const nowIso = new Date(this.#now()).toISOString();
    return sd.endpoints.map(endpoint => {
      const verdict = evaluateEndpoint(
        endpoint,
        k => this.#stateOf(k),
        sd.publishNotReadyAddresses,
      );
      const seen = this.#history.observe(endpoint.key, verdict.healthy, nowIso);
      if (seen.flippedFrom) this.#recordTransition(sd.swh, endpoint, verdict);
      return { endpoint, verdict, lastTransitionTime: seen.record.since };
    });
  }

  #recordTransition(swh: SwhSnapshot, endpoint: DesiredEndpoint, verdict: EndpointVerdict): void {
    const who = `pod ${endpoint.pod.name} (${endpoint.address})`;
    const failing = verdict.failures.map(f => `${f.probe}: ${f.reason}`).join("; ");
    this.#events.record({
      regarding: { name: swh.name, namespace: swh.namespace, uid: swh.uid },
      related: endpoint.pod,
      type: verdict.healthy ? "Normal" : "Warning",
      reason: verdict.healthy ? "EndpointReady" : "EndpointNotReady",
      note: verdict.healthy
        ? `Endpoint ${who} is ready`
        : `Endpoint ${who} is not ready: ${failing}`,
    });
    this.#log.info(verdict.healthy ? "endpoint ready" : "endpoint not ready", {
      swh: `${swh.namespace}/${swh.name}`,
      pod: endpoint.pod.name,
      address: endpoint.address,
      ...(verdict.healthy ? {} : { failing }),
    });
  }

  #countEndpoints(uid: string, evaluated: readonly EvaluatedEndpoint[]): void {
    if (evaluated.length === 0) {
      this.#endpointCounts.delete(uid);
      return;
    }
    const counts = { ready: 0, notReady: 0, terminating: 0 };
    for (const e of evaluated) {
      if (e.verdict.conditions.terminating) counts.terminating++;
      else if (e.verdict.conditions.ready) counts.ready++;
      else counts.notReady++;
    }
    this.#endpointCounts.set(uid, counts);
  }

  #updateEndpointGauge(): void {
    let ready = 0;
    let notReady = 0;
    let terminating = 0;
    for (const c of this.#endpointCounts.values()) {
      ready += c.ready;
      notReady += c.notReady;
      terminating += c.terminating;
    }
    const g = this.#o.metrics.endpoints;
    g.labels("ready").set(ready);
    g.labels("not_ready").set(notReady);
    g.labels("terminating").set(terminating);
  }
}
