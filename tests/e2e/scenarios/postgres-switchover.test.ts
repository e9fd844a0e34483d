// The seed's PostgreSQL example end to end on real nodes, verbatim: the credentials Secret made
// the way `kubectl create secret generic cred-secret --from-literal=...` makes it, the StatefulSet
// `db` (db-0..2, one pod per node, Debian's PostgreSQL: a real primary and two streaming
// replicas), `postgres-read` (SELECT 1: every healthy instance) and `postgres-write`
// (SELECT NOT pg_is_in_recovery(): the primary only). Then a switchover — fence db-0, promote
// db-1 — with a client pod on another node writing through postgres-write and reading through
// postgres-read every 100 ms, as a real client would (kube-proxy, a new connection each); then
// the old primary rejoins as a replica of the new one. What the client saw is recorded in
// build/e2e-report.json and docs/PERFORMANCE.md.
import { jest } from "@jest/globals";
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
import { conditionOf, getSwh } from "../../cluster/scenario/swh.js";
import type { BackendClient } from "../../cluster/backends/client.js";
import type { World } from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(420_000);

let world: World;
let ns: string;
let pg: RealPostgres;
let client: BackendClient;
let applied: number;

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
      durationMs: 60_000,
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
