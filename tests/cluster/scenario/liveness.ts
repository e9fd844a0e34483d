// What a scenario watches on the module's own processes while the cluster misbehaves: for every
// agent pod, whether its process (the one the host saw at the start) lives, what /healthz and
// /readyz answer on the pod address (and why, when not ready) and how many probes it has run so
// far (`swh_agent_probes_total`, scraped through kube-rbac-proxy as Prometheus scrapes it,
// agent-scrape.ts); for addon-operator, whether it lives and answers /healthz. A sampler polls
// them on a fixed period and keeps every sample, so the scenario can assert over the whole outage
// afterwards (the agents kept probing, nothing exited, health never failed). Only pod addresses,
// loopback and /proc are touched: nothing here needs the API server (kube-rbac-proxy's access
// review is cached, see agent-scrape.ts).
import { isOurProcess } from "../daemons.js";
import { sumMetric } from "../prom-text.js";
import type { OperatorRecord } from "../state.js";
import { AGENT_HEALTH_PORT, agentProcessAlive, type AgentPod } from "./agent-pods.js";
import { scrapeAgent, type ScraperIdentity } from "./agent-scrape.js";

/** The agents' probe counter (images/agent/src/metrics.ts). */
export const PROBES_METRIC = "swh_agent_probes_total";

/** One look at an agent. */
export interface AgentSample {
  readonly node: string;
  /** ms since the epoch. */
  readonly at: number;
  /** The agent's process seen at the start still runs. */
  readonly alive: boolean;
  /** HTTP status of /healthz; 0 when it did not answer. */
  readonly healthz: number;
  /** HTTP status of /readyz; 0 when it did not answer. */
  readonly readyz: number;
  /** The body of /readyz (the reasons when not ready). */
  readonly readyzBody: string;
  /** Sum of `swh_agent_probes_total` over its labels; undefined when /metrics did not answer. */
  readonly probes: number | undefined;
}

/** One look at addon-operator. */
export interface OperatorSample {
  readonly at: number;
  readonly alive: boolean;
  /** HTTP status of /healthz; 0 when it did not answer. */
  readonly healthz: number;
}

/** Adds up per-key counts (e.g. sumMetricBy of several agents). */
export function addCounts(
  ...counts: ReadonlyArray<Record<string, number>>
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of counts) for (const [k, v] of Object.entries(c)) out[k] = (out[k] ?? 0) + v;
  return out;
}

async function get(url: string): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return { status: 0, body: "" };
  }
}

/** Looks at one agent pod (see AgentSample). */
export async function sampleAgent(agent: AgentPod, scraper: ScraperIdentity): Promise<AgentSample> {
  const base = `http://${agent.ip}:${AGENT_HEALTH_PORT}`;
  const [healthz, readyz, metrics] = await Promise.all([
    get(`${base}/healthz`),
    get(`${base}/readyz`),
    scrapeAgent(agent.ip, scraper),
  ]);
  return {
    node: agent.node,
    at: Date.now(),
    alive: agentProcessAlive(agent.hostPid),
    healthz: healthz.status,
    readyz: readyz.status,
    readyzBody: readyz.body.trim(),
    probes: metrics.status === 200 ? sumMetric(metrics.body, PROBES_METRIC) : undefined,
  };
}

/** Looks at addon-operator. */
export async function sampleOperator(
  record: OperatorRecord,
  marker: string,
): Promise<OperatorSample> {
  const healthz = await get(`http://127.0.0.1:${record.port}/healthz`);
  return { at: Date.now(), alive: isOurProcess(record.pid, marker), healthz: healthz.status };
}

/** Every sample a LivenessSampler took. */
export interface LivenessSamples {
  readonly agents: readonly AgentSample[];
  readonly operator: readonly OperatorSample[];
}

/** Per-agent probe counts at the first and last sample of a time window. */
export interface ProbeGrowth {
  readonly node: string;
  readonly first: number | undefined;
  readonly last: number | undefined;
}

/** The probe counter of each agent at the first and last of its samples within [from, to]. */
export function probeGrowth(
  samples: readonly AgentSample[],
  from: number,
  to: number,
): ProbeGrowth[] {
  const byNode = new Map<string, AgentSample[]>();
  for (const s of samples) {
    if (s.at < from || s.at > to) continue;
    byNode.set(s.node, [...(byNode.get(s.node) ?? []), s]);
  }
  return [...byNode]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([node, list]) => ({ node, first: list[0]?.probes, last: list[list.length - 1]?.probes }));
}

/**
 * When every agent had answered /readyz 200 at least once at or after `since`: the latest of
 * their first ready samples; undefined while some agent has not.
 */
export function allReadyAt(
  samples: readonly AgentSample[],
  nodes: readonly string[],
  since: number,
): number | undefined {
  let latest = since;
  for (const node of nodes) {
    const first = samples.find(s => s.node === node && s.at >= since && s.readyz === 200);
    if (!first) return undefined;
    latest = Math.max(latest, first.at);
  }
  return latest;
}

/** Polls agents and the operator every `periodMs` until stopped (see file header). */
export class LivenessSampler {
  readonly #agents: readonly AgentPod[];
  readonly #operator: OperatorRecord;
  readonly #marker: string;
  readonly #scraper: ScraperIdentity;
  readonly #agentSamples: AgentSample[] = [];
  readonly #operatorSamples: OperatorSample[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> = Promise.resolve();

  constructor(opts: {
    readonly agents: readonly AgentPod[];
    readonly operator: OperatorRecord;
    /** The world's marker, in the operator's command line. */
    readonly marker: string;
    readonly scraper: ScraperIdentity;
  }) {
    this.#agents = opts.agents;
    this.#operator = opts.operator;
    this.#marker = opts.marker;
    this.#scraper = opts.scraper;
  }

  /** Takes a sample now and then every `periodMs`. */
  start(periodMs: number): void {
    if (this.#timer) return;
    const tick = (): void => {
      this.#inFlight = this.#inFlight.then(() => this.#sample());
    };
    tick();
    this.#timer = setInterval(tick, periodMs);
  }

  /** Every sample taken so far (polling goes on). */
  samples(): LivenessSamples {
    return { agents: [...this.#agentSamples], operator: [...this.#operatorSamples] };
  }

  /** Stops polling; resolves to every sample, once the last one is in. */
  async stop(): Promise<LivenessSamples> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
    return this.samples();
  }

  async #sample(): Promise<void> {
    const [agents, operator] = await Promise.all([
      Promise.all(this.#agents.map(a => sampleAgent(a, this.#scraper))),
      sampleOperator(this.#operator, this.#marker),
    ]);
    this.#agentSamples.push(...agents);
    this.#operatorSamples.push(operator);
  }
}
