// A PostgreSQL client for the switchover tests, run inside a client pod (the backend daemon's
// POST /sql-load): a loop of short transactions through one target — a Service's cluster IP, so
// kube-proxy picks a server per connection — each on a new connection with a short connect and
// statement timeout, as an application retrying its writes (or reads) would. Every attempt is
// reported: when, how long, the error (message and code: SQLSTATE or errno) or the server that
// answered (its address, its pod name from `cluster_name`, whether it is in recovery).
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { CLIENT_WRITES_TABLE } from "./postgres-pod.js";

/** A write (an INSERT on the primary) or a read (a SELECT any server answers). */
export type SqlStatement = "write" | "read";

/** What POST /sql-load takes. */
export interface SqlLoadRequest {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly durationMs: number;
  /** From the start of one attempt to the start of the next (at least; attempts never overlap). */
  readonly intervalMs: number;
  readonly statement: SqlStatement;
  /** Connect and statement timeout of each attempt (default 1000). */
  readonly timeoutMs: number;
}

/** One attempt; `at` is ms since the loop started. */
export interface SqlSample {
  readonly at: number;
  /** How long the attempt took. */
  readonly ms: number;
  readonly ok: boolean;
  readonly error?: string;
  /** SQLSTATE of a server error, errno code (ECONNREFUSED, ...) of a connection error. */
  readonly code?: string;
  /** inet_server_addr(): the pod address the connection reached. */
  readonly server?: string;
  /** The answering server's cluster_name: its pod. */
  readonly pod?: string;
  readonly inRecovery?: boolean;
}

/** What POST /sql-load answers. */
export interface SqlLoadReport {
  /** Epoch ms the loop started (the samples' zero). */
  readonly startedAt: number;
  readonly statement: SqlStatement;
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly samples: readonly SqlSample[];
}

/** The transaction of each statement; both answer the server's address, pod and recovery. */
export const SQL_STATEMENTS: Readonly<Record<SqlStatement, string>> = {
  write: `INSERT INTO ${CLIENT_WRITES_TABLE} (pod) VALUES (current_setting('cluster_name')) RETURNING host(inet_server_addr()) AS server, current_setting('cluster_name') AS pod, pg_is_in_recovery() AS in_recovery`,
  read: "SELECT host(inet_server_addr()) AS server, current_setting('cluster_name') AS pod, pg_is_in_recovery() AS in_recovery",
};

const positive = (v: unknown): v is number => typeof v === "number" && v > 0;
const text = (v: unknown): v is string => typeof v === "string" && v !== "";

/** Validates a POST /sql-load body. */
export function sqlLoadRequest(body: Record<string, unknown>): SqlLoadRequest {
  const { host, port, user, password, database, durationMs, intervalMs, statement, timeoutMs } =
    body;
  if (!text(host) || !text(user) || !text(password) || !text(database)) {
    throw new Error("sql-load: host, user, password and database must be non-empty strings");
  }
  if (!positive(port) || !positive(durationMs) || !positive(intervalMs)) {
    throw new Error("sql-load: port, durationMs and intervalMs must be positive numbers");
  }
  if (statement !== "write" && statement !== "read") {
    throw new Error('sql-load: statement must be "write" or "read"');
  }
  return {
    host,
    port,
    user,
    password,
    database,
    durationMs,
    intervalMs,
    statement,
    timeoutMs: positive(timeoutMs) ? timeoutMs : 1000,
  };
}

interface AnswerRow {
  readonly server: string | null;
  readonly pod: string | null;
  readonly in_recovery: boolean;
}

/** One transaction on a new connection. */
async function attempt(req: SqlLoadRequest): Promise<Omit<SqlSample, "at" | "ms">> {
  const client = new pg.Client({
    host: req.host,
    port: req.port,
    user: req.user,
    password: req.password,
    database: req.database,
    connectionTimeoutMillis: req.timeoutMs,
    statement_timeout: req.timeoutMs,
    query_timeout: req.timeoutMs,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<AnswerRow>(SQL_STATEMENTS[req.statement]);
    const row = rows[0];
    return {
      ok: true,
      ...(row?.server ? { server: row.server } : {}),
      ...(row?.pod ? { pod: row.pod } : {}),
      ...(row ? { inRecovery: row.in_recovery } : {}),
    };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return {
      ok: false,
      error: err instanceof Error ? err.message : String(err),
      ...(typeof code === "string" ? { code } : {}),
    };
  } finally {
    // Ending a connection that failed may never settle: do not wait for it.
    void client.end().catch(() => undefined);
  }
}

/** Runs the loop and reports every attempt. */
export async function runSqlLoad(req: SqlLoadRequest): Promise<SqlLoadReport> {
  const startedAt = Date.now();
  const samples: SqlSample[] = [];
  let next = startedAt;
  while (next - startedAt < req.durationMs) {
    if (next > Date.now()) await sleep(next - Date.now());
    const began = Date.now();
    const outcome = await attempt(req);
    samples.push({ at: began - startedAt, ms: Date.now() - began, ...outcome });
    next = Math.max(began + req.intervalMs, Date.now());
  }
  const ok = samples.filter(s => s.ok).length;
  return {
    startedAt,
    statement: req.statement,
    sent: samples.length,
    ok,
    failed: samples.length - ok,
    samples,
  };
}
