// The read/write split of the product brief, on real PostgreSQL and real time: a primary and a
// streaming replica, each probed twice by the scheduler — "write" with
// `SELECT NOT pg_is_in_recovery()` and "read" with `select 1`. Before failover only the primary
// is a write endpoint; after the primary stops and the replica is promoted, the write endpoint
// moves to the former replica while its read endpoint never flickers.

import { jest } from "@jest/globals";
import { createProbers, type ProberSet } from "../../images/agent/src/probes/index.js";
import type { ProbeSpec } from "../../images/agent/src/probes/types.js";
import { ProbeScheduler } from "../../images/agent/src/scheduler/scheduler.js";
import type { ProbeState, WorkerSpec } from "../../images/agent/src/scheduler/types.js";
import { PostgresCluster, postgresBinDir, type PostgresNode } from "../support/postgres-cluster.js";

const PASSWORD = "failover-Secret-99";
const bin = postgresBinDir();
const describeIfPostgres = bin === undefined ? describe.skip : describe;
if (bin === undefined) {
  console.warn("skipped: PostgreSQL binaries are not installed (apt-get install postgresql)");
}

function workers(node: PostgresNode): WorkerSpec[] {
  const probe = (query: string): ProbeSpec => ({
    mode: "PostgreSQL",
    port: node.port,
    dbName: "postgres",
    query,
    credentials: { user: "probe", password: PASSWORD, tlsMode: "Prefer" },
  });
  const common = { address: node.address, periodMs: 200, timeoutMs: 1_000, initialDelayMs: 0 };
  return [
    {
      key: `write/${node.name}`,
      probe: probe("SELECT NOT pg_is_in_recovery()"),
      successThreshold: 1,
      failureThreshold: 2,
      ...common,
    },
    {
      key: `read/${node.name}`,
      probe: probe("select 1"),
      successThreshold: 1,
      failureThreshold: 2,
      ...common,
    },
  ];
}

describeIfPostgres("PostgreSQL failover seen by the probe scheduler", () => {
  jest.setTimeout(60_000);
  let cluster: PostgresCluster;
  let probers: ProberSet;
  let scheduler: ProbeScheduler;
  const changes: Array<{ key: string; state: ProbeState }> = [];

  beforeAll(async () => {
    cluster = await PostgresCluster.start({ address: "127.0.0.51" });
    await cluster.sql(cluster.primary, `CREATE ROLE probe LOGIN PASSWORD '${PASSWORD}'`);
    await cluster.addReplica("replica", "127.0.0.52");
    await cluster.waitForCatchUp(cluster.node("replica"));
    probers = createProbers();
    scheduler = new ProbeScheduler({
      probers: probers.probers,
      maxConcurrent: 16,
      onChange: (key, state) => changes.push({ key, state }),
    });
  });
  afterAll(async () => {
    await scheduler?.stop();
    probers?.close();
    await cluster?.destroy();
  });

  async function until(key: string, healthy: boolean, timeoutMs = 10_000): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      const state = scheduler.state(key);
      if (state?.known === true && state.healthy === healthy) return Date.now() - started;
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    throw new Error(
      `${key} did not become healthy=${healthy}: ${JSON.stringify(scheduler.state(key))}`,
    );
  }

  it("publishes the primary as the only write endpoint, both as read endpoints", async () => {
    const primary = cluster.primary;
    const replica = cluster.node("replica");
    scheduler.sync([...workers(primary), ...workers(replica)]);
    await until("write/primary", true);
    await until("write/replica", false);
    await until("read/primary", true);
    await until("read/replica", true);
    expect(scheduler.state("write/replica")!.reason).toBe("query returned false");
  });

  it("moves the write endpoint to the promoted replica; its read endpoint never flips", async () => {
    const primary = cluster.primary;
    const replica = cluster.node("replica");
    const before = changes.length;
    await cluster.stopNode(primary, "immediate");
    const detectMs = await until("write/primary", false);
    expect(scheduler.state("write/primary")!.reason).toMatch(
      /^connect ECONNREFUSED$|^connection closed/,
    );
    await until("read/primary", false);
    await cluster.promote(replica);
    const promoteMs = await until("write/replica", true);
    console.info(
      `failover: primary seen down ${detectMs} ms after it stopped; write endpoint moved ${promoteMs} ms after promotion finished`,
    );
    const after = changes.slice(before).map(c => `${c.key}:${c.state.healthy}`);
    expect(after).not.toContain("read/replica:false");
    expect(after).toEqual(
      expect.arrayContaining(["write/primary:false", "read/primary:false", "write/replica:true"]),
    );
  });
});
