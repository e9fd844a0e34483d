// Unit tests of the PostgreSQL switchover test's pure parts: the SQL client's and the pod
// server's request validation, why an attempt failed, and what the write and read loops saw
// across the fence (time to the first write on the new primary, failures before and after it).
import type { SqlLoadReport, SqlSample } from "../../cluster/backends/sql-load.js";
import { sqlLoadRequest } from "../../cluster/backends/sql-load.js";
import { postgresNodeRequest } from "../../cluster/backends/postgres-pod.js";
import {
  answersByPod,
  failureKind,
  readSwitchoverOutcome,
  writeSwitchoverOutcome,
} from "../../cluster/scenario/sql-switchover.js";

const report = (startedAt: number, samples: SqlSample[]): SqlLoadReport => ({
  startedAt,
  statement: "write",
  sent: samples.length,
  ok: samples.filter(s => s.ok).length,
  failed: samples.filter(s => !s.ok).length,
  samples,
});
const ok = (at: number, pod: string, inRecovery = false): SqlSample => ({
  at,
  ms: 5,
  ok: true,
  pod,
  server: `10.0.0.${pod.slice(-1)}`,
  inRecovery,
});
const refused = (at: number): SqlSample => ({
  at,
  ms: 1,
  ok: false,
  error: "connect ECONNREFUSED 10.96.0.9:5432",
  code: "ECONNREFUSED",
});

describe("sql-load request", () => {
  const body = {
    host: "10.96.0.9",
    port: 5432,
    user: "postgres",
    password: "example",
    database: "postgres",
    durationMs: 1000,
    intervalMs: 100,
    statement: "write",
  };

  it("accepts a complete request with a 1 s timeout by default", () => {
    expect(sqlLoadRequest(body)).toEqual({ ...body, timeoutMs: 1000 });
    expect(sqlLoadRequest({ ...body, timeoutMs: 300 }).timeoutMs).toBe(300);
  });

  it("refuses a bad statement, a missing target or a non-positive interval", () => {
    expect(() => sqlLoadRequest({ ...body, statement: "drop" })).toThrow(/statement/);
    expect(() => sqlLoadRequest({ ...body, host: "" })).toThrow(/host/);
    expect(() => sqlLoadRequest({ ...body, intervalMs: 0 })).toThrow(/intervalMs/);
  });
});

describe("postgres node request", () => {
  const base = { port: 5432, user: "postgres", password: "example", dataDir: "/var/lib/pg" };

  it("takes a primary, and a replica with its primary's address", () => {
    expect(postgresNodeRequest({ role: "primary", ...base })).toEqual({ role: "primary", ...base });
    expect(postgresNodeRequest({ role: "replica", primaryHost: "10.1.1.2", ...base })).toEqual({
      role: "replica",
      primaryHost: "10.1.1.2",
      ...base,
    });
  });

  it("refuses a replica without a primary, a bad role, port or data directory", () => {
    expect(() => postgresNodeRequest({ role: "replica", ...base })).toThrow(/primaryHost/);
    expect(() => postgresNodeRequest({ role: "leader", ...base })).toThrow(/role/);
    expect(() => postgresNodeRequest({ role: "primary", ...base, port: 70000 })).toThrow(/port/);
    expect(() => postgresNodeRequest({ role: "primary", ...base, dataDir: "pg" })).toThrow(
      /absolute/,
    );
  });
});

describe("failure kinds", () => {
  it("tells the stopped server from a standby and from silence", () => {
    expect(failureKind({ code: "ECONNREFUSED" })).toBe("refused");
    expect(failureKind({ code: "57P03", error: "the database system is shutting down" })).toBe(
      "shutting-down",
    );
    expect(failureKind({ code: "57P01" })).toBe("shutting-down");
    expect(failureKind({ error: "Connection terminated unexpectedly" })).toBe("terminated");
    expect(failureKind({ code: "25006" })).toBe("read-only");
    expect(failureKind({ error: "Connection terminated due to connection timeout" })).toBe(
      "timeout",
    );
    expect(failureKind({ code: "28P01" })).toBe("other");
  });
});

describe("write loop across a switchover", () => {
  // Load started at epoch 1000; the fence begins at 2000 (load time 1000), the server stopped at 2150.
  const times = { fenceAt: 2000, fencedAt: 2150 };
  const pods = { oldPrimary: "db-0", newPrimary: "db-1" };

  it("times the first write on the new primary and counts the failures before and after it", () => {
    const outcome = writeSwitchoverOutcome(
      report(1000, [
        ok(0, "db-0"),
        ok(900, "db-0"),
        ok(1050, "db-0"), // taken while the fence was under way
        refused(1200),
        refused(1300),
        ok(1400, "db-1"),
        refused(1500),
        ok(1600, "db-1"),
      ]),
      times,
      pods,
    );
    expect(outcome).toEqual({
      sentBeforeFence: 2,
      failedBeforeFence: 0,
      sentAfterFence: 6,
      firstWriteOnNewPrimaryMs: 400,
      failedBeforeFirstWrite: 2,
      failedAfterFence: 3,
      lastFailureMs: 500,
      failuresByKind: { refused: 3 },
      landedOnOldPrimaryWhileFencing: 1,
      landedElsewhere: 0,
      landedElsewhereBeforeFence: 0,
    });
  });

  it("flags writes that landed on a server in recovery, or on the old primary once stopped", () => {
    const outcome = writeSwitchoverOutcome(
      report(1000, [ok(1200, "db-1", true), ok(1300, "db-0"), ok(1400, "db-2")]),
      times,
      pods,
    );
    expect(outcome.firstWriteOnNewPrimaryMs).toBeUndefined();
    expect(outcome.landedElsewhere).toBe(3);
    expect(outcome.failedBeforeFirstWrite).toBe(0);
    expect(outcome.lastFailureMs).toBe(0);
  });
});

describe("read loop across a switchover", () => {
  it("counts failed reads after the fence and which pods answered", () => {
    const outcome = readSwitchoverOutcome(
      report(0, [ok(100, "db-0"), refused(600), ok(700, "db-2"), ok(800, "db-1"), ok(900, "db-2")]),
      500,
    );
    expect(outcome).toEqual({
      sentBeforeFence: 1,
      failedBeforeFence: 0,
      sentAfterFence: 4,
      failedAfterFence: 1,
      lastFailureMs: 100,
      failuresByKind: { refused: 1 },
      answeredBy: { "db-1": 1, "db-2": 2 },
    });
    expect(answersByPod([refused(1)])).toEqual({});
  });
});
