// The PostgreSQL probe and re-check counters of every agent, scraped through kube-rbac-proxy as
// Deckhouse's Prometheus scrapes them, and what they grew by over a window: the fast re-check
// scenario (postgres-switchover.test.ts) reads from them that re-checks ran exactly where and
// as often as the contract says.
import { metricSamples } from "../prom-text.js";
import type { AgentPod } from "./agent-pods.js";
import { scrapeAgent, type ScraperIdentity } from "./agent-scrape.js";

const RECHECKS_METRIC = "swh_agent_probe_rechecks_total";
const PROBES_METRIC = "swh_agent_probes_total";

/** One agent's PostgreSQL probes and re-checks so far, by result. */
export interface AgentCounts {
  readonly node: string;
  readonly probes: number;
  readonly rechecks: { readonly success: number; readonly failure: number };
}

/** Scrapes every agent for its PostgreSQL probe counters. */
export async function agentCounts(
  agents: readonly AgentPod[],
  scraper: ScraperIdentity,
): Promise<AgentCounts[]> {
  return Promise.all(
    agents.map(async a => {
      const res = await scrapeAgent(a.ip, scraper, 5_000);
      if (res.status !== 200) throw new Error(`scraping the agent of ${a.node}: ${res.status}`);
      const pg = (metric: string, result?: string): number =>
        metricSamples(res.body, metric)
          .filter(s => s.labels.mode === "PostgreSQL")
          .filter(s => result === undefined || s.labels.result === result)
          .reduce((sum, s) => sum + s.value, 0);
      return {
        node: a.node,
        probes: pg(PROBES_METRIC),
        rechecks: {
          success: pg(RECHECKS_METRIC, "success"),
          failure: pg(RECHECKS_METRIC, "failure"),
        },
      };
    }),
  );
}

/** Per node, what the counters grew by from `before` to `after`. */
export function growth(before: AgentCounts[], after: AgentCounts[]): Map<string, AgentCounts> {
  const out = new Map<string, AgentCounts>();
  for (const a of after) {
    const b = before.find(x => x.node === a.node);
    if (!b) throw new Error(`no earlier counts for the agent of ${a.node}`);
    out.set(a.node, {
      node: a.node,
      probes: a.probes - b.probes,
      rechecks: {
        success: a.rechecks.success - b.rechecks.success,
        failure: a.rechecks.failure - b.rechecks.failure,
      },
    });
  }
  return out;
}

/** The sum of `f` over every agent's counts. */
export const sumOf = (m: Map<string, AgentCounts>, f: (c: AgentCounts) => number): number =>
  [...m.values()].reduce((s, c) => s + f(c), 0);
