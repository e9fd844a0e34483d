// The PostgreSQL cluster manager itself (tests/support/postgres-cluster.ts), since the prober
// tests and the end-to-end failover scenario rely on it: a primary and a streaming replica,
// replication of writes, promotion, stop/start, re-cloning the old primary, and a teardown that
// leaves no postgres process and no files behind.

import { jest } from "@jest/globals";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { PostgresCluster, postgresBinDir } from "../support/postgres-cluster.js";

const bin = postgresBinDir();
const describeIfPostgres = bin === undefined ? describe.skip : describe;
if (bin === undefined) {
  console.warn("skipped: PostgreSQL binaries are not installed (apt-get install postgresql)");
}

/** PIDs of postgres processes whose command line mentions `dir`. */
function processesUnder(dir: string): number[] {
  return readdirSync("/proc")
    .filter(entry => /^\d+$/.test(entry))
    .filter(pid => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describeIfPostgres("PostgresCluster", () => {
  jest.setTimeout(120_000);
  let cluster: PostgresCluster;

  beforeAll(async () => {
    cluster = await PostgresCluster.start({ address: "127.0.0.21" });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it("runs a primary and a streaming replica with the expected roles", async () => {
    const replica = await cluster.addReplica("replica", "127.0.0.22");
    expect(await cluster.isInRecovery(cluster.primary)).toBe(false);
    expect(await cluster.isInRecovery(replica)).toBe(true);
    await cluster.sql(cluster.primary, "CREATE TABLE t (v int); INSERT INTO t VALUES (42)");
    await cluster.waitForCatchUp(replica);
    expect(await cluster.sql(replica, "SELECT v FROM t")).toEqual([{ v: 42 }]);
  });

  it("fails over: stop the primary, promote the replica, re-clone the old primary", async () => {
    const replica = cluster.node("replica");
    await cluster.stopNode(cluster.primary);
    expect(cluster.primary.running).toBe(false);
    await cluster.promote(replica);
    expect(await cluster.isInRecovery(replica)).toBe(false);
    await cluster.sql(replica, "INSERT INTO t VALUES (43)");
    await cluster.reinitAsReplica(cluster.primary, replica);
    expect(await cluster.isInRecovery(cluster.primary)).toBe(true);
    await cluster.waitForCatchUp(cluster.primary, replica);
    expect(await cluster.sql(cluster.primary, "SELECT v FROM t ORDER BY v")).toEqual([
      { v: 42 },
      { v: 43 },
    ]);
  });

  it("tears down completely: no process, no files", async () => {
    const other = await PostgresCluster.start({ address: "127.0.0.23" });
    expect(processesUnder(other.baseDir).length).toBeGreaterThan(0);
    await other.destroy();
    await other.destroy(); // idempotent
    expect(processesUnder(other.baseDir)).toEqual([]);
    expect(existsSync(other.baseDir)).toBe(false);
  });
});
