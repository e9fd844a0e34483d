// The checks both API server outage scenarios make, so that the freeze (`apiserver-outage`) and
// the kill-and-restart (`apiserver-restart`) prove the same bar the same way: the workload ready
// before; the agents and the operator alive, healthy and probing throughout the outage; slices
// and status converging after it and staying; nothing fenced and no healthy endpoint flipped;
// the same agent pods, containers and processes running afterwards, as the host and the kubelets
// see them. What differs (how the API server goes away, what each variant measures and records)
// stays in the scenario files.
import { expect } from "@jest/globals";
import { setTimeout as sleep } from "node:timers/promises";
import { isOurProcess } from "../daemons.js";
import { readWorldState, type DaemonRecord, type OperatorRecord } from "../state.js";
import type { World } from "../world/handle.js";
import { eventually } from "../../e2e/support/eventually.js";
import { agentPods, type AgentPod } from "./agent-pods.js";
import { scraperIdentity, type ScraperIdentity } from "./agent-scrape.js";
import { recordCluster, type ClusterRecorders, type PodView } from "./cluster-view.js";
import { agentProbeCounts, type ProbeCounts } from "./kubelet-probes.js";
import { serviceEndpoints } from "./endpoints.js";
import { LivenessSampler, probeGrowth, sampleAgent, type LivenessSamples } from "./liveness.js";
import { sumMetric } from "../prom-text.js";
import { readHookLog } from "./operator-log.js";
import {
  CHANGED,
  EXPECTED_READY,
  EXPECTED_STATUS,
  FENCED_METRIC,
  healthyFlaps,
  NODES,
  READY_BEFORE,
  readySlices,
  statusView,
  SWHS,
  type OutageWorkload,
  type SwhName,
} from "./outage-workload.js";
import { EndpointRecorder } from "./recorder.js";
import { operatorGet } from "../world/operator.js";
import { operatorView } from "../world/operator-view.js";
import { getSwh } from "./swh.js";

/** Liveness guard of every wait after the outage (not a bar: the bar is "within seconds"). */
export const CONVERGE_TIMEOUT_MS = 120_000;
/** Observation after convergence, to catch a late flap (three runs of the 5 s fencing hook). */
export const SETTLE_MS = 15_000;

/** `value`, or a failure saying an earlier step (which set it) failed. */
export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is missing: an earlier step failed`);
  return value;
}

/** Waits for the workload's state before the outage: web 3/3 and api 2/3, slices and status. */
export async function waitWorkloadBefore(world: World, w: OutageWorkload): Promise<void> {
  await eventually(
    "web 3/3 and api 2/3 ready, in slices and status",
    async () => {
      expect(await readySlices(w)).toEqual(READY_BEFORE);
      expect((await getSwh(world, w.namespace, "web"))?.status?.readySummary).toBe("3/3");
      expect((await getSwh(world, w.namespace, "api"))?.status?.readySummary).toBe("2/3");
    },
    120_000,
    500,
  );
}

/** What is known before the API server goes away, for the checks after it. */
export interface OutageBaseline {
  /** The agent pods, one per node of NODES. */
  readonly agentsBefore: readonly AgentPod[];
  readonly operatorBefore: OperatorRecord;
  /** The ModuleConfig bridge (the deckhouse-controller's part): it must outlive the outage too. */
  readonly bridgeBefore: DaemonRecord;
  readonly fencedBefore: number;
  readonly recorders: Readonly<Record<SwhName, EndpointRecorder>>;
  /** The agent pods, the workload's pods and the nodes, as watched through the outage. */
  readonly cluster: ClusterRecorders;
  /** The pods as they were when the watch began. */
  readonly clusterBefore: {
    readonly agents: ReadonlyMap<string, PodView>;
    readonly apps: ReadonlyMap<string, PodView>;
  };
  /** The kubelets' probe counts of each agent container (same order as agentsBefore). */
  readonly kubeletProbesBefore: readonly ProbeCounts[];
  /** The identity the agents' metrics are scraped with. */
  readonly scraper: ScraperIdentity;
  /** Samples the agents and the operator every second until stopped. */
  readonly sampler: LivenessSampler;
}

/**
 * Records the agent pods and the operator, the fence count, starts the slice and cluster
 * watchers and the liveness sampler, after a first scrape of every agent's metrics (which also
 * caches kube-rbac-proxy's access review for the outage, see agent-scrape.ts).
 */
export async function takeBaseline(world: World, w: OutageWorkload): Promise<OutageBaseline> {
  const state = need(await readWorldState(world.layout.stateFile), "the world state");
  const operatorBefore = need(state.operator, "the operator");
  const bridgeBefore = need(state.bridge, "the ModuleConfig bridge");
  const agentsBefore = await agentPods(world, NODES);
  const scraper = await scraperIdentity(world.layout.stateDir);
  for (const agent of agentsBefore) {
    expect({
      node: agent.node,
      ready: agent.ready,
      sample: await sampleAgent(agent, scraper),
    }).toMatchObject({
      node: agent.node,
      ready: true,
      sample: { alive: true, readyz: 200, probes: expect.any(Number) },
    });
  }
  const recorders = {
    web: new EndpointRecorder(world, w.namespace, "web"),
    api: new EndpointRecorder(world, w.namespace, "api"),
  };
  for (const r of Object.values(recorders)) await r.start();
  const cluster = await recordCluster(world, w.namespace);
  const clusterBefore = { agents: cluster.agents.current(), apps: cluster.apps.current() };
  const kubeletProbesBefore = await agentProbeCounts(world.layout.stateDir, agentsBefore);
  const fencedBefore = sumMetric(
    (await operatorGet(operatorBefore, "/metrics/hooks")).body,
    FENCED_METRIC,
  );
  const sampler = new LivenessSampler({
    agents: agentsBefore,
    operator: operatorBefore,
    marker: world.layout.marker,
    scraper,
  });
  sampler.start(1_000);
  return {
    agentsBefore,
    operatorBefore,
    bridgeBefore,
    fencedBefore,
    recorders,
    cluster,
    clusterBefore,
    kubeletProbesBefore,
    scraper,
    sampler,
  };
}

/**
 * Asserts the agents and the operator lived through [from, to]: alive and /healthz 200 on every
 * sample, the agents' probe counters growing over the whole window and over its last 10 s, and
 * /readyz 503 (Lease not renewed) once the Lease lapsed. Returns the probes run meanwhile.
 */
export function expectLiveThroughout(seen: LivenessSamples, from: number, to: number): number {
  const during = seen.agents.filter(s => s.at >= from && s.at <= to);
  expect(during.length).toBeGreaterThanOrEqual(NODES.length * 30);
  // No agent exited and /healthz answered 200 on every look.
  expect(during.filter(s => !s.alive || s.healthz !== 200)).toEqual([]);
  // Probing went on to the end: the counters grew over the outage and over its last 10 s.
  const whole = probeGrowth(seen.agents, from, to);
  const lastTen = probeGrowth(seen.agents, to - 10_000, to);
  expect(whole.map(g => g.node)).toEqual([...NODES]);
  for (const g of [...whole, ...lastTen])
    expect(need(g.last, g.node)).toBeGreaterThan(need(g.first, g.node));
  // /readyz: 503 once the Lease could not be renewed for a Lease duration (8 s here).
  const late = during.filter(s => s.at >= from + 20_000);
  expect(late.length).toBeGreaterThan(0);
  for (const s of late) {
    expect(s.readyz).toBe(503);
    expect(s.readyzBody).toMatch(/heartbeat Lease not renewed recently/);
  }
  // addon-operator lived and answered /healthz throughout.
  const operator = seen.operator.filter(s => s.at >= from && s.at <= to);
  expect(operator.length).toBeGreaterThanOrEqual(30);
  expect(operator.filter(s => !s.alive || s.healthz !== 200)).toEqual([]);
  return whole.reduce((sum, g) => sum + (g.last ?? 0) - (g.first ?? 0), 0);
}

/**
 * Waits until slices and status show the true state, stays SETTLE_MS and checks again (a late
 * flap would show), and returns when each first matched.
 */
export async function expectConvergedAndSettled(
  w: OutageWorkload,
): Promise<{ slicesAt: number; statusAt: number }> {
  const slicesMatch = async (): Promise<number> => {
    expect(await readySlices(w)).toEqual(EXPECTED_READY);
    return Date.now();
  };
  const statusMatches = async (): Promise<number> => {
    expect(await statusView(w)).toEqual(EXPECTED_STATUS);
    return Date.now();
  };
  const [slicesAt, statusAt] = await Promise.all([
    eventually("slices show web 2/3 and api 3/3", slicesMatch, CONVERGE_TIMEOUT_MS, 100),
    eventually("status says web 2/3 and api 3/3", statusMatches, CONVERGE_TIMEOUT_MS, 100),
  ]);
  await sleep(SETTLE_MS);
  await slicesMatch();
  await statusMatches();
  return { slicesAt, statusAt };
}

/**
 * Asserts nothing was fenced since `from`: no healthy endpoint flipped (slice watchers), no slice
 * fenced (operator metric), no node declared dead (hook log, shown as evidence with its time
 * relative to `backAt`), each changed endpoint changed once, to its true state, and no endpoint
 * of the child Services is fenced. Returns the flaps (none) for the report.
 */
export async function expectNothingFenced(
  world: World,
  w: OutageWorkload,
  base: OutageBaseline,
  window: { readonly from: number; readonly backAt: number },
): Promise<number> {
  const flaps = healthyFlaps(base.recorders, window.from);
  // Counted only for hook runs that succeeded: a run whose patches waited on the unavailable API
  // server may apply some and count none, hence the slice watcher's flaps and the log too.
  const fencedSlices =
    sumMetric((await operatorGet(base.operatorBefore, "/metrics/hooks")).body, FENCED_METRIC) -
    base.fencedBefore;
  // Evidence when this fails: the nodes the fencing hook declared dead, and when.
  const declaredDead = (
    await readHookLog(base.operatorBefore.logFile, "fencing EndpointSlices", window.from)
  ).map(e => ({
    sinceBackMs: e.at - window.backAt,
    node: e.fields.node,
    reason: e.fields.reason,
    slices: e.fields.count,
  }));
  expect({ flaps, fencedSlices, declaredDead }).toEqual({
    flaps: [],
    fencedSlices: 0,
    declaredDead: [],
  });
  // The changed endpoints changed once each, to their true state.
  for (const swh of SWHS)
    expect(base.recorders[swh].changesSince(window.from).map(c => [c.pod, c.ready])).toEqual([
      CHANGED[swh],
    ]);
  const rows = [
    ...(await serviceEndpoints(world, w.namespace, "web")),
    ...(await serviceEndpoints(world, w.namespace, "api")),
  ];
  expect(rows.filter(r => r.fenced)).toEqual([]);
  return flaps.length;
}

/**
 * Asserts that the fencing hook ran during the outage and logged fencing as suspended (no agent
 * renewed lately, hooks/endpointslice-gc/fencing-outage.ts): nothing was fenced by design, not by luck. Only
 * where hook runs go on during the outage: a frozen API server leaves the operator's queue free
 * (nothing changes, so only the schedule runs the fencing hook, which then has nothing to write),
 * while a dead one fails the patches of whichever task is at the head of the queue, and the
 * queue retries that task instead.
 */
export async function expectFencingSuspended(
  base: OutageBaseline,
  window: { readonly from: number; readonly backAt: number },
): Promise<void> {
  const lines = await readHookLog(base.operatorBefore.logFile, "fencing suspended", window.from);
  expect(lines.filter(e => e.at < window.backAt).length).toBeGreaterThan(0);
}

/**
 * Asserts that from `from` on nobody exited or stopped answering /healthz, that the same agent
 * pods run the same containers and processes with no restart (the kubelets' view and the host's),
 * ready again, the same operator process runs, and the operator's queue drained.
 */
export async function expectSameProcesses(
  world: World,
  base: OutageBaseline,
  all: LivenessSamples,
  from: number,
): Promise<void> {
  const after = all.agents.filter(s => s.at >= from);
  expect(after.filter(s => !s.alive || s.healthz !== 200)).toEqual([]);
  expect(all.operator.filter(s => s.at >= from && (!s.alive || s.healthz !== 200))).toEqual([]);
  // Compared without readiness, checked on its own.
  const same = (a: AgentPod): AgentPod => ({ ...a, ready: true });
  await eventually(
    "the same agent pods, containers and processes, ready by the kubelets' probes",
    async () => {
      const now = await agentPods(world, NODES);
      expect(now.map(same)).toEqual(base.agentsBefore.map(same));
      expect(now.filter(a => !a.ready).map(a => a.node)).toEqual([]);
    },
    CONVERGE_TIMEOUT_MS,
    500,
  );
  const current = await readWorldState(world.layout.stateFile);
  expect(current?.operator?.pid).toBe(base.operatorBefore.pid);
  expect(current?.bridge?.pid).toBe(base.bridgeBefore.pid);
  expect(isOurProcess(base.bridgeBefore.pid, world.layout.marker)).toBe(true);
  for (const a of base.agentsBefore) {
    expect(await sampleAgent(a, base.scraper)).toMatchObject({
      alive: true,
      healthz: 200,
      readyz: 200,
    });
  }
  await eventually(
    "the operator's queue has no failed task at its head",
    async () => expect((await operatorView(base.operatorBefore)).lastError).toBeUndefined(),
    CONVERGE_TIMEOUT_MS,
    500,
  );
}
