// Fast re-checks (probes[].recheckIntervalMilliseconds, issue #12) end to end on real nodes: the
// seed's PostgreSQL example with the seed's postgres-write given `recheckIntervalMilliseconds:
// 1000` and postgres-read left as the seed has it, so one dead server is dropped by both, with
// and without re-checks. While nothing changes, the agents run no re-check at all; at the
// switchover (fence db-0, promote db-1, a client pod writing and reading every 100 ms), db-0's
// write probe re-checks exactly failureThreshold - 1 times after its first failure, on db-0's
// node only, and db-0 leaves postgres-write before it leaves postgres-read: the read probe needs
// three 10 s slots after its first failure (20 s at least), the write probe its first slot plus
// two 1 s re-checks (12 s at most, plus the refused connections' few milliseconds). The times
// are recorded (build/e2e-report.json), not asserted.
import { setTimeout as sleep } from "node:timers/promises";
import { jest } from "@jest/globals";
import { HEALTHCHECK_DEFAULTS, type ServiceWithHealthchecks } from "../../../api/v1alpha1.js";
import { metricSamples } from "../../cluster/prom-text.js";
import { agentPods, type AgentPod } from "../../cluster/scenario/agent-pods.js";
import {
  scrapeAgent,
  scraperIdentity,
  type ScraperIdentity,
} from "../../cluster/scenario/agent-scrape.js";
import {
  releaseScenarioWorld,
  SCENARIO_NODES,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { readyPods } from "../../cluster/scenario/endpoints.js";
import {
  applyManifest,
  createNamespace,
  deleteNamespace,
  type Manifest,
} from "../../cluster/scenario/objects.js";
import { startRealPods } from "../../cluster/scenario/real-pods.js";
import {
  DB_PODS,
  startRealPostgres,
  waitForReady,
  type RealPostgres,
} from "../../cluster/scenario/real-postgres.js";
import { runClientSwitchover } from "../../cluster/scenario/real-switchover.js";
import { EndpointRecorder } from "../../cluster/scenario/recorder.js";
import { recordMeasurement } from "../../cluster/scenario/report.js";
import {
  FENCED_SERVER_FAILURES,
  writeSwitchoverOutcome,
} from "../../cluster/scenario/sql-switchover.js";
import { getSwh, seedIn } from "../../cluster/scenario/swh.js";
import type { BackendClient } from "../../cluster/backends/client.js";
import type { World } from "../../cluster/world/world.js";

jest.setTimeout(420_000);

/** The re-check interval given to the seed's postgres-write. */
const RECHECK_MS = 1_000;
/** The seed sets neither: the CRD's defaults apply. */
const PERIOD_MS = HEALTHCHECK_DEFAULTS.periodSeconds * 1000;
const FAILURE_THRESHOLD = HEALTHCHECK_DEFAULTS.failureThreshold;
/** Probe workers of the scenario: three pods, one probe in each of the two SWHs. */
const WORKERS = DB_PODS.length * 2;
const RECHECKS_METRIC = "swh_agent_probe_rechecks_total";
const PROBES_METRIC = "swh_agent_probes_total";

let world: World;
let ns: string;
let pg: RealPostgres;
let client: BackendClient;
let agents: AgentPod[];
let scraper: ScraperIdentity;

/** The seed's postgres-write in `namespace`, every probe with `recheckIntervalMilliseconds`. */
function fastPostgresWrite(namespace: string, recheckMs: number): Manifest {
  const swh = structuredClone(seedIn("postgres-write", namespace)) as Manifest &
    Pick<ServiceWithHealthchecks, "spec">;
  for (const probe of swh.spec.healthcheck?.probes ?? []) {
    probe.recheckIntervalMilliseconds = recheckMs;
  }
  return swh;
}

/** One agent's PostgreSQL probes and re-checks so far, by result. */
interface AgentCounts {
  readonly node: string;
  readonly probes: number;
  readonly rechecks: { readonly success: number; readonly failure: number };
}

/** Scrapes every agent (through kube-rbac-proxy) for its PostgreSQL probe counters. */
async function agentCounts(): Promise<AgentCounts[]> {
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
function growth(before: AgentCounts[], after: AgentCounts[]): Map<string, AgentCounts> {
  const out = new Map<string, AgentCounts>();
  for (const a of after) {
    const b = before.find(x => x.node === a.node)!;
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

const sum = (m: Map<string, AgentCounts>, f: (c: AgentCounts) => number): number =>
  [...m.values()].reduce((s, c) => s + f(c), 0);

beforeAll(async () => {
  ({ world } = await scenarioWorld());
  ns = await createNamespace(world, "swh-recheck");
  const clients = await startRealPods(world, [{ name: "client", namespace: ns, node: "node-3" }]);
  client = clients.get("client")!.backend;
  pg = await startRealPostgres(world, ns, { seedServices: false });
  await applyManifest(world, seedIn("postgres-read", ns));
  await applyManifest(world, fastPostgresWrite(ns, RECHECK_MS));
  await waitForReady(world, ns, { write: ["db-0"], read: [...DB_PODS] }, 120_000);
  agents = await agentPods(world, SCENARIO_NODES);
  scraper = await scraperIdentity(world.layout.stateDir);
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (ns) await deleteNamespace(world, ns, 180_000);
  await releaseScenarioWorld();
});

describe("fast re-checks on the seed's postgres-write", () => {
  it("keeps the field as applied (the CRD knows it, nothing pruned)", async () => {
    const swh = await getSwh(world, ns, "postgres-write");
    expect(swh?.spec.healthcheck?.probes?.map(p => p.recheckIntervalMilliseconds)).toEqual([
      RECHECK_MS,
    ]);
    expect(await readyPods(world, ns, "postgres-write")).toEqual(["db-0"]);
  });

  it("runs no re-check while nothing changes: the probes keep their period", async () => {
    const periods = 3;
    const before = await agentCounts();
    await sleep(periods * PERIOD_MS);
    const grew = growth(before, await agentCounts());
    const probes = sum(grew, c => c.probes);
    await recordMeasurement({
      name: "fastRecheck.steadyProbesPerWorkerPeriod",
      value: probes / WORKERS / periods,
      unit: "count",
      description: `PostgreSQL probes per worker per ${PERIOD_MS / 1000} s period with nothing changing (${WORKERS} workers, postgres-write with recheckIntervalMilliseconds ${RECHECK_MS}); 1 is the period rate`,
    });
    expect(sum(grew, c => c.rechecks.success + c.rechecks.failure)).toBe(0);
    // Each worker runs once per period: a window of n periods holds n or n + 1 of its slots.
    expect(probes).toBeGreaterThanOrEqual(WORKERS * (periods - 1));
    expect(probes).toBeLessThanOrEqual(WORKERS * (periods + 1));
  });

  it("drops the fenced primary from postgres-write after failureThreshold - 1 re-checks, before postgres-read drops it", async () => {
    const writes = new EndpointRecorder(world, ns, "postgres-write");
    await writes.start();
    const before = await agentCounts();
    let run;
    try {
      run = await runClientSwitchover(world, {
        pg,
        client,
        from: "db-0",
        to: "db-1",
        durationMs: 60_000,
        intervalMs: 100,
        fenceAfterMs: 5_000,
      });
    } finally {
      await writes.stop();
    }
    const grew = growth(before, await agentCounts());
    const writeDropAt = writes.firstChange("db-0", false, run.fenceAt);
    const readDropAt = run.readServiceDroppedAt;
    await recordTimes(run.fenceAt, writeDropAt, readDropAt);

    // db-0's write probe alone disagreed with its published state: its first failure came on
    // its period, then failureThreshold - 1 re-checks (all failures) flipped it. db-1's first
    // success after the promotion flipped it at once (successThreshold 1): no re-check.
    const db0Node = pg.pods.get("db-0")!.node;
    expect(grew.get(db0Node)?.rechecks).toEqual({ success: 0, failure: FAILURE_THRESHOLD - 1 });
    expect(sum(grew, c => c.rechecks.success + c.rechecks.failure)).toBe(FAILURE_THRESHOLD - 1);
    // The same dead server: dropped by the write Service (re-checks) before the read Service
    // (three periods).
    expect(writeDropAt).toBeDefined();
    expect(readDropAt).toBeDefined();
    expect(writeDropAt!).toBeLessThan(readDropAt!);

    // And the client: writes reached only db-0, then db-1; failures only from the stopped db-0.
    const write = writeSwitchoverOutcome(run.write, run, {
      oldPrimary: "db-0",
      newPrimary: "db-1",
    });
    expect(write.failedBeforeFence).toBe(0);
    expect(write.landedElsewhere).toBe(0);
    expect(write.firstWriteOnNewPrimaryMs).toBeDefined();
    for (const kind of Object.keys(write.failuresByKind)) {
      expect(FENCED_SERVER_FAILURES).toContain(kind);
    }
    expect(await readyPods(world, ns, "postgres-write")).toEqual(["db-1"]);
  });
});

/** Records when db-0 left each Service, from the fence (the slices as kube-proxy saw them). */
async function recordTimes(
  fenceAt: number,
  writeDropAt: number | undefined,
  readDropAt: number | undefined,
): Promise<void> {
  const what = `fence db-0 (server stopped) -> db-0 not ready in the slices of`;
  await recordMeasurement({
    name: "fastRecheck.writeDropMs",
    value: writeDropAt === undefined ? NaN : writeDropAt - fenceAt,
    unit: "ms",
    description: `${what} postgres-write (periodSeconds ${PERIOD_MS / 1000}, failureThreshold ${FAILURE_THRESHOLD}, recheckIntervalMilliseconds ${RECHECK_MS}: at most one period plus ${FAILURE_THRESHOLD - 1} re-checks)`,
  });
  await recordMeasurement({
    name: "fastRecheck.readDropMs",
    value: readDropAt === undefined ? NaN : readDropAt - fenceAt,
    unit: "ms",
    description: `${what} postgres-read (the seed's, no re-checks: ${FAILURE_THRESHOLD} periods after the first failure)`,
  });
}
