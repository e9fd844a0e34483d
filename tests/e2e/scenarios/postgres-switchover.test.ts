// The seed's PostgreSQL example end to end on real nodes, verbatim: the credentials Secret made
// the way `kubectl create secret generic cred-secret --from-literal=...` makes it, the StatefulSet
// `db` (db-0..2, one pod per node, Debian's PostgreSQL: a real primary and two streaming
// replicas), `postgres-read` (SELECT 1: every healthy instance) and `postgres-write`
// (SELECT NOT pg_is_in_recovery(): the primary only). Then a switchover — fence db-0, promote
// db-1 — with a client pod on another node writing through postgres-write and reading through
// postgres-read every 100 ms, as a real client would (kube-proxy, a new connection each); then
// the old primary rejoins as a replica of the new one. What the client saw is recorded in
// build/e2e-report.json and docs/PERFORMANCE.md.
//
// Then fast re-checks (probes[].recheckIntervalMilliseconds, issue #12): postgres-write is given
// `recheckIntervalMilliseconds: 1000` (a merge patch, as an administrator would) and
// postgres-read is left as the seed has it, so one dead server is dropped by both, with and
// without re-checks. While nothing changes, the agents run no re-check at all; at the switchover
// back (fence db-1, promote db-0, the client writing and reading throughout), db-1's write probe
// re-checks exactly failureThreshold - 1 times after its first failure, on db-1's node only, and
// db-1 leaves postgres-write before it leaves postgres-read: the read probe needs three 10 s
// slots after its first failure (20 s at least), the write probe its first slot plus two 1 s
// re-checks (12 s at most, plus the refused connections' few milliseconds). The times are
// recorded (build/e2e-report.json), not asserted.
import { setTimeout as sleep } from "node:timers/promises";
import { jest } from "@jest/globals";
import { HEALTHCHECK_DEFAULTS, type ServiceWithHealthchecks } from "../../../api/v1alpha1.js";
import { mergePatch } from "../../cluster/kube.js";
import { agentPods, type AgentPod } from "../../cluster/scenario/agent-pods.js";
import { scraperIdentity, type ScraperIdentity } from "../../cluster/scenario/agent-scrape.js";
import { agentCounts, growth, sumOf } from "../../cluster/scenario/recheck-counts.js";
import { EndpointRecorder } from "../../cluster/scenario/recorder.js";
import { readyPods, serviceEndpoints } from "../../cluster/scenario/endpoints.js";
import { createNamespace, deleteNamespace } from "../../cluster/scenario/objects.js";
import {
  releaseScenarioWorld,
  SCENARIO_NODES,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { recordMeasurement } from "../../cluster/scenario/report.js";
import { clusterIp, startRealPods } from "../../cluster/scenario/real-pods.js";
import { startRealPostgres, type RealPostgres } from "../../cluster/scenario/real-postgres.js";
import {
  recordClientSwitchover,
  runClientSwitchover,
  sqlServedThrough,
} from "../../cluster/scenario/real-switchover.js";
import { expectServedAfterSwitch } from "../../cluster/scenario/real-switchover-checks.js";
import {
  FENCED_SERVER_FAILURES,
  readSwitchoverOutcome,
  writeSwitchoverOutcome,
} from "../../cluster/scenario/sql-switchover.js";
import { conditionOf, getSwh, seedIn, swhPath } from "../../cluster/scenario/swh.js";
import type { BackendClient } from "../../cluster/backends/client.js";
import type { World } from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(420_000);

let world: World;
let ns: string;
let pg: RealPostgres;
let client: BackendClient;
let applied: number;

/** The re-check interval given to postgres-write before the switchover back. */
const RECHECK_MS = 1_000;
/** The seed sets neither: the CRD's defaults apply. */
const PERIOD_MS = HEALTHCHECK_DEFAULTS.periodSeconds * 1000;
const FAILURE_THRESHOLD = HEALTHCHECK_DEFAULTS.failureThreshold;
/** Probe workers of the scenario: three pods, one probe in each of the two SWHs. */
const WORKERS = 3 * 2;

beforeAll(async () => {
  ({ world } = await scenarioWorld());
  ns = await createNamespace(world, "swh-pg");
  const clients = await startRealPods(world, [{ name: "client", namespace: ns, node: "node-3" }]);
  client = clients.get("client")!.backend;
  applied = Date.now();
  // Returns once postgres-write has db-0 only and postgres-read all three.
  pg = await startRealPostgres(world, ns);
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (ns) await deleteNamespace(world, ns, 180_000);
  await releaseScenarioWorld();
});

describe("the seed's PostgreSQL example: postgres-read and postgres-write", () => {
  it("balances reads over all three instances and writes to the primary only", async () => {
    expect(await readyPods(world, ns, "postgres-read")).toEqual(["db-0", "db-1", "db-2"]);
    expect(await readyPods(world, ns, "postgres-write")).toEqual(["db-0"]);
    const write = await serviceEndpoints(world, ns, "postgres-write");
    // The replicas are published, not ready: their query answers false.
    expect(write.map(e => [e.pod, e.ready])).toEqual([
      ["db-0", true],
      ["db-1", false],
      ["db-2", false],
    ]);
    expect(write.find(e => e.pod === "db-1")?.failures.join(" ")).toMatch(/PostgreSQL/);
    // One pod per node, and each node's agent publishes the pods of its own node.
    expect(new Set(write.map(e => e.node))).toEqual(new Set(SCENARIO_NODES));
    for (const e of write) expect(e.node).toBe(pg.pods.get(e.pod)?.node);
    await recordMeasurement({
      name: "postgres.readyAfterApplyMs",
      value: Date.now() - applied,
      unit: "ms",
      description:
        "StatefulSet and seed manifests applied -> PostgreSQL cloned to the replicas, postgres-read 3/3 and postgres-write 1/3 (initialDelaySeconds 10, periodSeconds 10)",
    });
    // A client through the cluster IPs: writes land on db-0, reads are answered.
    await sqlServedThrough(client, await clusterIp(world, ns, "postgres-write"), "write");
    await sqlServedThrough(client, await clusterIp(world, ns, "postgres-read"), "read");
  });

  it("reports the write Service Ready with one of three endpoints (not all-or-nothing)", async () => {
    await eventually(
      "postgres-write status: 1/3, Ready",
      async () => {
        const swh = await getSwh(world, ns, "postgres-write");
        expect(swh?.status?.readySummary).toBe("1/3");
        expect(conditionOf(swh, "Ready")).toMatchObject({
          status: "True",
          reason: "SomeEndpointsAreReady",
        });
      },
      60_000,
      500,
    );
  });

  it("follows a switchover (fence db-0, promote db-1) with a client writing and reading throughout", async () => {
    const writeIp = await clusterIp(world, ns, "postgres-write");
    const readIp = await clusterIp(world, ns, "postgres-read");
    const run = await runClientSwitchover(world, {
      pg,
      client,
      from: "db-0",
      to: "db-1",
      durationMs: 45_000,
      intervalMs: 100,
      fenceAfterMs: 5_000,
    });
    const write = writeSwitchoverOutcome(run.write, run, {
      oldPrimary: "db-0",
      newPrimary: "db-1",
    });
    const read = readSwitchoverOutcome(run.read, run.fenceAt);
    process.stdout.write(`${JSON.stringify({ write, read }, null, 2)}\n`);
    await recordClientSwitchover(run, write, read);

    // Before the fence: every write on db-0, every read answered.
    expect(write.failedBeforeFence).toBe(0);
    expect(write.landedElsewhereBeforeFence).toBe(0);
    expect(read.failedBeforeFence).toBe(0);
    // After it: writes reach db-1 once promoted and no other server; every failed attempt,
    // write or read, went to the stopped db-0 (refused, shutting down), none to a standby
    // (read-only) or a live server (timeout, anything else).
    expect(write.firstWriteOnNewPrimaryMs).toBeDefined();
    expect(write.landedElsewhere).toBe(0);
    for (const kind of Object.keys({ ...write.failuresByKind, ...read.failuresByKind })) {
      expect(FENCED_SERVER_FAILURES).toContain(kind);
    }
    expect(await readyPods(world, ns, "postgres-write")).toEqual(["db-1"]);
    expect(await readyPods(world, ns, "postgres-read")).toEqual(["db-1", "db-2"]);
    await expectServedAfterSwitch(client, { writeIp, readIp }, run);
  });

  it("takes the old primary back into postgres-read once it rejoins as a replica", async () => {
    const newPrimary = pg.pods.get("db-1")!;
    const status = await pg.pods.get("db-0")!.backend.rejoinPodPostgres(newPrimary.ip);
    expect(status).toMatchObject({ running: true, inRecovery: true });
    await eventually(
      "postgres-read has all three again",
      async () => {
        expect(await readyPods(world, ns, "postgres-read")).toEqual(["db-0", "db-1", "db-2"]);
      },
      90_000,
      500,
    );
    // A replica again: postgres-write keeps db-1 only, and the writes go on there.
    expect(await readyPods(world, ns, "postgres-write")).toEqual(["db-1"]);
    await sqlServedThrough(client, await clusterIp(world, ns, "postgres-write"), "write");
  });
});

describe("fast re-checks on postgres-write: the switchover back (fence db-1, promote db-0)", () => {
  let agents: AgentPod[];
  let scraper: ScraperIdentity;

  it("keeps recheckIntervalMilliseconds as patched onto postgres-write (the CRD knows it)", async () => {
    const seed = seedIn("postgres-write", ns) as unknown as Pick<ServiceWithHealthchecks, "spec">;
    const probes = (seed.spec.healthcheck?.probes ?? []).map(p => ({
      ...p,
      recheckIntervalMilliseconds: RECHECK_MS,
    }));
    await mergePatch(world.rest, swhPath(ns, "postgres-write"), {
      spec: { healthcheck: { probes } },
    });
    const swh = await getSwh(world, ns, "postgres-write");
    expect(swh?.spec.healthcheck?.probes?.map(p => p.recheckIntervalMilliseconds)).toEqual([
      RECHECK_MS,
    ]);
    // Only the timing changed: the workers keep their state, db-1 stays the one writer.
    expect(await readyPods(world, ns, "postgres-write")).toEqual(["db-1"]);
    agents = await agentPods(world, SCENARIO_NODES);
    scraper = await scraperIdentity(world.layout.stateDir);
    await sleep(2_000); // the agents' informers have the patch
  });

  it("runs no re-check while nothing changes: the probes keep their period", async () => {
    const periods = 2;
    const before = await agentCounts(agents, scraper);
    await sleep(periods * PERIOD_MS);
    const grew = growth(before, await agentCounts(agents, scraper));
    const probes = sumOf(grew, c => c.probes);
    await recordMeasurement({
      name: "fastRecheck.steadyProbesPerWorkerPeriod",
      value: probes / WORKERS / periods,
      unit: "count",
      description: `PostgreSQL probes per worker per ${PERIOD_MS / 1000} s period with nothing changing (${WORKERS} workers, postgres-write with recheckIntervalMilliseconds ${RECHECK_MS}); 1 is the period rate`,
    });
    expect(sumOf(grew, c => c.rechecks.success + c.rechecks.failure)).toBe(0);
    // Each worker runs once per period: a window of n periods holds n or n + 1 of its slots.
    expect(probes).toBeGreaterThanOrEqual(WORKERS * (periods - 1));
    expect(probes).toBeLessThanOrEqual(WORKERS * (periods + 1));
  });

  it("drops the fenced primary from postgres-write after failureThreshold - 1 re-checks, before postgres-read drops it", async () => {
    const writes = new EndpointRecorder(world, ns, "postgres-write");
    await writes.start();
    const before = await agentCounts(agents, scraper);
    let run;
    try {
      run = await runClientSwitchover(world, {
        pg,
        client,
        from: "db-1",
        to: "db-0",
        durationMs: 45_000,
        intervalMs: 100,
        fenceAfterMs: 5_000,
      });
    } finally {
      await writes.stop();
    }
    const grew = growth(before, await agentCounts(agents, scraper));
    const writeDropAt = writes.firstChange("db-1", false, run.fenceAt);
    const readDropAt = run.readServiceDroppedAt;
    await recordRecheckTimes(run.fenceAt, writeDropAt, readDropAt);

    // db-1's write probe alone disagreed with its published state: its first failure came on
    // its period, then failureThreshold - 1 re-checks (all failures) flipped it. db-0's first
    // success after the promotion flipped it at once (successThreshold 1): no re-check.
    const db1Node = pg.pods.get("db-1")!.node;
    expect(grew.get(db1Node)?.rechecks).toEqual({ success: 0, failure: FAILURE_THRESHOLD - 1 });
    expect(sumOf(grew, c => c.rechecks.success + c.rechecks.failure)).toBe(FAILURE_THRESHOLD - 1);
    // The same dead server: dropped by the write Service (re-checks) before the read Service
    // (three periods).
    expect(writeDropAt).toBeDefined();
    expect(readDropAt).toBeDefined();
    expect(writeDropAt!).toBeLessThan(readDropAt!);

    // And the client: writes reached only db-1, then db-0; failures only from the stopped db-1.
    const write = writeSwitchoverOutcome(run.write, run, {
      oldPrimary: "db-1",
      newPrimary: "db-0",
    });
    expect(write.failedBeforeFence).toBe(0);
    expect(write.landedElsewhere).toBe(0);
    expect(write.firstWriteOnNewPrimaryMs).toBeDefined();
    for (const kind of Object.keys(write.failuresByKind)) {
      expect(FENCED_SERVER_FAILURES).toContain(kind);
    }
    expect(await readyPods(world, ns, "postgres-write")).toEqual(["db-0"]);
  });
});

/** Records when db-1 left each Service, from the fence (the slices as kube-proxy saw them). */
async function recordRecheckTimes(
  fenceAt: number,
  writeDropAt: number | undefined,
  readDropAt: number | undefined,
): Promise<void> {
  const what = `fence db-1 (server stopped) -> db-1 not ready in the slices of`;
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
