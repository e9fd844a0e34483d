// A replica of a primary that another PostgresCluster runs (tests/support/postgres-cluster.ts's
// create() and addReplicaOf()), as the PostgreSQL pods of the real-node scenarios do it: each pod
// runs one server of its own, a standby clones its primary's pod over TCP. Two clusters in one
// process stand in for two pods here: the clone streams, replays the primary's writes, is
// promoted, and each cluster tears down only its own server.

import { jest } from "@jest/globals";
import { existsSync } from "node:fs";
import { PostgresCluster, postgresBinDir, waitUntil } from "../support/postgres-cluster.js";

const describeIfPostgres = postgresBinDir() === undefined ? describe.skip : describe;

describeIfPostgres("PostgresCluster: a replica of a primary elsewhere", () => {
  jest.setTimeout(120_000);
  let primary: PostgresCluster | undefined;
  let standby: PostgresCluster | undefined;

  afterAll(async () => {
    await standby?.destroy();
    await primary?.destroy();
  });

  it("clones the other cluster's primary, streams from it, and is promoted on its own", async () => {
    primary = await PostgresCluster.start({ address: "127.0.0.31" });
    standby = await PostgresCluster.create();
    expect(standby.nodes).toEqual([]);
    const from = { address: primary.primary.address, port: primary.primary.port };
    const replica = await standby.addReplicaOf("replica", "127.0.0.32", from);
    expect(await standby.isInRecovery(replica)).toBe(true);

    await primary.sql(primary.primary, "CREATE TABLE t (v int); INSERT INTO t VALUES (7)");
    await waitUntil("the replica replays the write", 20_000, async () => {
      const rows = await standby!.sql(replica, "SELECT v FROM t");
      return rows.length === 1 && rows[0]?.v === 7;
    });

    await primary.stopNode(primary.primary);
    await standby.promote(replica);
    expect(await standby.isInRecovery(replica)).toBe(false);
    await standby.sql(replica, "INSERT INTO t VALUES (8)");

    const dir = standby.baseDir;
    await standby.destroy();
    expect(existsSync(dir)).toBe(false);
  });
});
