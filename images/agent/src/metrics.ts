// The agent's Prometheus metrics (prom-client, own registry). Probe metrics are hit ~10,000
// times a second, so label children are resolved once and cached; everything else is cheap.
// Names are prefixed `swh_agent_`; the module's monitoring rules and dashboards use them.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ProbeOutcome } from "./probes/types.js";
import type { ApiObserver, ApiVerb, ReflectorObserver } from "swh-kube-client";
import type { SchedulerObserver, WorkerSpec } from "./scheduler/types.js";

/** Buckets for probe latency (s): 0.5 ms .. 10 s. */
const PROBE_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Buckets for schedule lateness and propagation (s). */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Every metric the agent exports. */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly probes = new Counter({
    name: "swh_agent_probes_total",
    help: "Probe attempts by mode and result (success/failure).",
    labelNames: ["mode", "result"] as const,
    registers: [this.registry],
  });
  readonly rechecks = new Counter({
    name: "swh_agent_probe_rechecks_total",
    help:
      "Probe attempts run at a probe's recheckIntervalMilliseconds instead of its period (its " +
      "last result disagreed with the published state), by mode and result; also counted in " +
      "swh_agent_probes_total.",
    labelNames: ["mode", "result"] as const,
    registers: [this.registry],
  });
  readonly conversations = new Counter({
    name: "swh_agent_tcp_conversations_total",
    help:
      "TCP probe attempts that held a send/expect conversation (tcp.conversation), by result; " +
      'also counted in swh_agent_probes_total{mode="TCP"}.',
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly probeDuration = new Histogram({
    name: "swh_agent_probe_duration_seconds",
    help: "Probe attempt duration by mode.",
    labelNames: ["mode"] as const,
    buckets: PROBE_BUCKETS,
    registers: [this.registry],
  });
  readonly scheduleLateness = new Histogram({
    name: "swh_agent_probe_schedule_lateness_seconds",
    help: "How long probes waited past their due time (timer delay plus concurrency queue).",
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly workers = new Gauge({
    name: "swh_agent_probe_workers",
    help: "Probe workers running (one per probe per endpoint address).",
    registers: [this.registry],
  });
  readonly concurrencyLimit = new Gauge({
    name: "swh_agent_probe_concurrency_limit",
    help: "Probes allowed to run at the same time (the module's agent.maxConcurrentProbes).",
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "swh_agent_probe_queue_depth",
    help: "Probes waiting for a concurrency slot.",
    registers: [this.registry],
  });
  readonly endpoints = new Gauge({
    name: "swh_agent_endpoints",
    help: "Endpoints published by this agent, by state (ready, not_ready, terminating).",
    labelNames: ["state"] as const,
    registers: [this.registry],
  });
  readonly drainedEndpoints = new Gauge({
    name: "swh_agent_drained_endpoints",
    help:
      "Endpoints of an SWH on this node drained by their pod's network.deckhouse.io/drain-from " +
      "annotation (published not ready); a series exists once the SWH had a drained endpoint.",
    labelNames: ["namespace", "name"] as const,
    registers: [this.registry],
  });
  readonly apiRequests = new Counter({
    name: "swh_agent_api_requests_total",
    help: "API server calls by verb, resource and result code (2xx, HTTP status, network).",
    labelNames: ["verb", "resource", "code"] as const,
    registers: [this.registry],
  });
  readonly apiErrors = new Counter({
    name: "swh_agent_api_errors_total",
    help: "Failed API server calls by verb and resource.",
    labelNames: ["verb", "resource"] as const,
    registers: [this.registry],
  });
  readonly apiDuration = new Histogram({
    name: "swh_agent_api_request_duration_seconds",
    help: "API server call duration by verb (watches excluded).",
    labelNames: ["verb"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly watchRestarts = new Counter({
    name: "swh_agent_watch_restarts_total",
    help: "Informer list/watch restarts by informer and reason.",
    labelNames: ["informer", "reason"] as const,
    registers: [this.registry],
  });
  readonly sliceWrites = new Counter({
    name: "swh_agent_endpointslice_writes_total",
    help: "EndpointSlice writes by operation (create, update, delete) and result.",
    labelNames: ["op", "result"] as const,
    registers: [this.registry],
  });
  readonly propagation = new Histogram({
    name: "swh_agent_propagation_seconds",
    help: "From a probe state change to the EndpointSlice write that publishes it.",
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly leaseRenewals = new Counter({
    name: "swh_agent_lease_renewals_total",
    help: "Heartbeat Lease renewals by result.",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly leaseLastRenew = new Gauge({
    name: "swh_agent_lease_last_renew_timestamp_seconds",
    help: "When the heartbeat Lease was last renewed (Unix time).",
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: "swh_agent_events_total",
    help: "Kubernetes Events by reason and outcome (created, aggregated, suppressed, failed).",
    labelNames: ["reason", "outcome"] as const,
    registers: [this.registry],
  });
  readonly unhandled = new Counter({
    name: "swh_agent_unhandled_rejections_total",
    help: "Promise rejections nobody handled (each is logged; the agent keeps running).",
    registers: [this.registry],
  });

  readonly #probeChildren = new Map<
    string,
    { count: Counter.Internal; recheck: Counter.Internal; duration: Histogram.Internal<"mode"> }
  >();

  /** @param defaults also export Node.js process metrics (CPU, memory, event loop lag). */
  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: "swh_agent_" });
  }

  /** Records one probe attempt; `recheck`: it ran at the fast re-check interval. */
  observeProbe(spec: WorkerSpec, outcome: ProbeOutcome, lateMs: number, recheck = false): void {
    const key = `${spec.probe.mode}/${outcome.ok ? 1 : 0}`;
    let child = this.#probeChildren.get(key);
    if (!child) {
      const result = outcome.ok ? "success" : "failure";
      child = {
        count: this.probes.labels(spec.probe.mode, result),
        recheck: this.rechecks.labels(spec.probe.mode, result),
        duration: this.probeDuration.labels(spec.probe.mode),
      };
      child.recheck.inc(0); // the series exists at 0 while no probe re-checks
      this.#probeChildren.set(key, child);
    }
    child.count.inc();
    if (recheck) child.recheck.inc();
    if (spec.probe.mode === "TCP" && spec.probe.conversation !== undefined) {
      this.conversations.labels(outcome.ok ? "success" : "failure").inc();
    }
    child.duration.observe(outcome.durationMs / 1000);
    this.scheduleLateness.observe(Math.max(0, lateMs) / 1000);
  }

  /** The scheduler's observer. */
  schedulerObserver(): SchedulerObserver {
    return {
      onProbe: (spec, outcome, lateMs, recheck) =>
        this.observeProbe(spec, outcome, lateMs, recheck),
      onQueueDepth: depth => this.queueDepth.set(depth),
    };
  }

  /** The REST client's observer. */
  apiObserver(): ApiObserver {
    return {
      onRequest: (verb: ApiVerb, resource: string, code: string, seconds: number) => {
        this.apiRequests.labels(verb, resource, code).inc();
        if (code !== "2xx") this.apiErrors.labels(verb, resource).inc();
        if (verb !== "watch") this.apiDuration.labels(verb).observe(seconds);
      },
    };
  }

  /** The informers' observer. */
  reflectorObserver(): ReflectorObserver {
    return {
      onRestart: (name, reason) => this.watchRestarts.labels(name, reason).inc(),
    };
  }

  /** Prometheus text exposition. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
