// The seed's PostgreSQL example end to end, verbatim: the credentials Secret made the way
// `kubectl create secret generic cred-secret --from-literal=user=... --from-literal=password=...`
// makes it (type Opaque), StatefulSet pods db-0..2 with a real primary and two streaming
// replicas, `postgres-read` (SELECT 1: every healthy instance) and `postgres-write`
// (SELECT NOT pg_is_in_recovery(): the primary only). Then a switchover — fence db-0, promote
// db-1 — and `postgres-write` follows; the time it took is recorded in build/e2e-report.json.
import { jest } from "@jest/globals";
import type { Artefacts } from "../../cluster/builds.js";
import { readyPods, serviceEndpoints } from "../../cluster/scenario/endpoints.js";
import {
  applyManifest,
  createNamespace,
  deleteNamespace,
  genericSecret,
} from "../../cluster/scenario/objects.js";
import {
  releaseScenarioWorld,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { recordMeasurement } from "../../cluster/scenario/report.js";
import { startSwitchover } from "../../cluster/scenario/switchover.js";
import { conditionOf, getSwh, seedIn } from "../../cluster/scenario/swh.js";
import {
  SEED_CREDENTIALS,
  startPostgresWorkload,
  stopWorkload,
  type PostgresWorkload,
} from "../../cluster/scenario/workloads.js";
import type { World } from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(420_000);

let world: World;
let artefacts: Artefacts;
let ns: string;
let pg: PostgresWorkload;

beforeAll(async () => {
  ({ world, artefacts } = await scenarioWorld());
  ns = await createNamespace(world, "swh-pg");
  await applyManifest(world, genericSecret(ns, "cred-secret", SEED_CREDENTIALS));
  pg = await startPostgresWorkload(world, ns, { backendBundle: artefacts.backendBundle });
  await applyManifest(world, seedIn("postgres-read", ns));
  await applyManifest(world, seedIn("postgres-write", ns));
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (pg) await stopWorkload(world, pg);
  if (ns) await deleteNamespace(world, ns);
  await releaseScenarioWorld();
});

describe("the seed's PostgreSQL example: postgres-read and postgres-write", () => {
  it("balances reads over all three instances and writes to the primary only", async () => {
    const started = Date.now();
    await eventually(
      "postgres-read has db-0, db-1 and db-2",
      async () => {
        expect(await readyPods(world, ns, "postgres-read")).toEqual(["db-0", "db-1", "db-2"]);
      },
      120_000,
      500,
    );
    await eventually(
      "postgres-write has only db-0",
      async () => {
        expect(await readyPods(world, ns, "postgres-write")).toEqual(["db-0"]);
      },
      60_000,
      500,
    );
    const write = await serviceEndpoints(world, ns, "postgres-write");
    // The replicas are published, not ready: their query answers false.
    expect(write.map(e => [e.pod, e.ready])).toEqual([
      ["db-0", true],
      ["db-1", false],
      ["db-2", false],
    ]);
    expect(write.find(e => e.pod === "db-1")?.failures.join(" ")).toMatch(/PostgreSQL/);
    // One slice per node: each agent publishes the pods of its own node.
    expect(new Set(write.map(e => e.node))).toEqual(new Set(["node-1", "node-2", "node-3"]));
    await recordMeasurement({
      name: "postgres.readyAfterApplyMs",
      value: Date.now() - started,
      unit: "ms",
      description:
        "seed manifests applied -> postgres-read 3/3 and postgres-write 1/3 (initialDelaySeconds 10, periodSeconds 10)",
    });
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

  it("follows a switchover: fence db-0, promote db-1, postgres-write moves to db-1", async () => {
    const sw = await startSwitchover(world, {
      namespace: ns,
      backend: pg.backend,
      from: "db-0",
      to: "db-1",
    });
    try {
      await eventually(
        "postgres-write has only db-1",
        () => {
          expect(sw.done()).toBe(true);
          return Promise.resolve();
        },
        120_000,
        200,
      );
      const t = sw.times();
      process.stdout.write(`${sw.progress().join("\n")}\n`);
      await recordMeasurement({
        name: "postgres.writeSwitchoverMs",
        value: t.totalMs,
        unit: "ms",
        description:
          "fence of the old primary starts -> postgres-write's slices show only the promoted replica ready (seed probe settings: period 10 s, failureThreshold 3)",
      });
      await recordMeasurement({
        name: "postgres.writeNewPrimaryReadyAfterPromotionMs",
        value: t.newPrimaryReadyMs - t.promotedMs,
        unit: "ms",
        description: "promoted replica accepts writes -> it is ready in postgres-write",
      });
    } finally {
      await sw.close();
    }
    expect(await readyPods(world, ns, "postgres-write")).toEqual(["db-1"]);
    // postgres-read probes on its own timers: it drops the fenced db-0 within its own threshold.
    await eventually(
      "postgres-read drops the fenced db-0",
      async () => {
        expect(await readyPods(world, ns, "postgres-read")).toEqual(["db-1", "db-2"]);
      },
      60_000,
      500,
    );
  });

  it("takes the old primary back into postgres-read once it rejoins as a replica", async () => {
    await pg.backend.reinit("db-0", "db-1");
    await eventually(
      "postgres-read has all three again",
      async () => {
        expect(await readyPods(world, ns, "postgres-read")).toEqual(["db-0", "db-1", "db-2"]);
      },
      90_000,
      500,
    );
    expect(await readyPods(world, ns, "postgres-write")).toEqual(["db-1"]);
  });
});
