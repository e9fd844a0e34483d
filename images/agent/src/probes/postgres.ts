// PostgreSQL prober. Each attempt opens a new connection (no pooling: a probe must notice a
// server that stopped accepting connections), authenticates with the probe's credentials and
// TLS mode, and runs the probe's query inside `BEGIN READ ONLY` with a `SET LOCAL
// statement_timeout`, the query itself going through the extended protocol so exactly one
// statement can run. Both are transaction-scoped, so this also works through PgBouncer in
// transaction pooling mode (startup options would be rejected there). The two are pipelined:
// after authentication, one round trip. The probe passes when the first column of the first
// row is true. The connection is always closed; on timeout it is torn down at once. The
// password is answered to MD5 and SCRAM in every TLS mode, but to a cleartext request only over
// verified TLS (postgres-auth.ts): a pod chosen by whoever writes the resource gets no password.

import pg from "pg";
import type { ConnectionOptions } from "node:tls";
import { failed, monotonicMs, passed, timeoutReason } from "./outcome.js";
import { CLEARTEXT_REFUSED, PasswordGuard } from "./postgres-auth.js";
import { postgresErrorReason } from "./postgres-errors.js";
import { judgeRows } from "./postgres-result.js";
import { PlainTextMemory, tlsPlan } from "./postgres-tls.js";
import type { PostgresCredentials, ProbeOutcome, ProbeSpec } from "./types.js";

type PostgresSpec = Extract<ProbeSpec, { mode: "PostgreSQL" }>;

/** Tuning of the PostgreSQL prober. */
export interface PostgresProberOptions {
  /** How long a server that refused TLS is probed in plain text under "Prefer" (default 5 min). */
  plainTextMemoryMs?: number;
  /** application_name reported to the server (visible in pg_stat_activity). */
  applicationName?: string;
}

/** One attempt's connection parameters. */
interface Attempt {
  address: string;
  spec: PostgresSpec;
  credentials: PostgresCredentials;
  ssl: false | ConnectionOptions;
  deadline: number;
  applicationName: string;
}

/** Creates a PostgreSQL prober; it keeps only the "refused TLS" memory between probes. */
export function createPostgresProber(
  options: PostgresProberOptions = {},
): (address: string, spec: ProbeSpec, timeoutMs: number) => Promise<ProbeOutcome> {
  const memory = new PlainTextMemory(options.plainTextMemoryMs ?? 300_000);
  const applicationName = options.applicationName ?? "swh-agent";
  return async (address, spec, timeoutMs) => {
    const startedAt = monotonicMs();
    if (spec.mode !== "PostgreSQL") {
      return failed(startedAt, `PostgreSQL prober given a ${spec.mode} probe`);
    }
    if ("error" in spec.credentials) return failed(startedAt, spec.credentials.error);
    const credentials = spec.credentials;
    const plan = tlsPlan(credentials);
    if (typeof plan === "string") return failed(startedAt, plan);
    const key = `${address}:${spec.port}`;
    const deadline = startedAt + timeoutMs;
    const base = { address, spec, credentials, deadline, applicationName };
    const plainRemembered = plan.fallbackToPlain && memory.refusedTls(key, Date.now());
    const ssl = plainRemembered ? false : plan.ssl;
    let reason = await attempt({ ...base, ssl }, timeoutMs);
    if (reason === "server does not support TLS" && plan.fallbackToPlain) {
      memory.remember(key, Date.now());
      reason = await attempt({ ...base, ssl: false }, timeoutMs);
    } else if (reason !== "" && plainRemembered) {
      // Maybe the server now requires TLS: try it again on the next probe.
      memory.forget(key);
    }
    return reason === "" ? passed(startedAt) : failed(startedAt, reason);
  };
}

/** One connection attempt; "" when the query returned true, otherwise why not. */
async function attempt(params: Attempt, timeoutMs: number): Promise<string> {
  const remaining = params.deadline - monotonicMs();
  if (remaining <= 0) return timeoutReason(timeoutMs);
  const { credentials, spec } = params;
  const guard = new PasswordGuard(credentials);
  const client = new pg.Client({
    host: params.address,
    port: spec.port,
    user: credentials.user,
    password: guard.password,
    database: spec.dbName === undefined || spec.dbName === "" ? undefined : spec.dbName,
    ssl: params.ssl,
    connectionTimeoutMillis: Math.ceil(remaining),
    application_name: params.applicationName,
    keepAlive: false,
    pipeline: true,
  });
  // After connect, errors are also emitted as events; the awaited calls below report them.
  client.on("error", () => undefined);
  // Before connect(): the guard's listener must run before node-postgres's own.
  guard.attach(client.connection);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    client.connection.stream.destroy();
  }, remaining);
  try {
    await client.connect();
    const rows = await runReadOnly(client, spec.query, params.deadline);
    return judgeRows(rows);
  } catch (error) {
    if (guard.refused) return CLEARTEXT_REFUSED;
    return timedOut ? timeoutReason(timeoutMs) : postgresErrorReason(error, credentials.password);
  } finally {
    clearTimeout(timer);
    close(client, timedOut);
  }
}

/** Runs `query` as the only statement of a read-only transaction with a statement timeout. */
async function runReadOnly(
  client: pg.Client,
  query: string,
  deadline: number,
): Promise<unknown[][]> {
  const remaining = deadline - monotonicMs();
  // Leave the server a little room to report the timeout itself before our timer fires.
  const statementTimeout = Math.max(1, Math.floor(remaining - Math.min(100, remaining / 10)));
  const begin = client.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${statementTimeout}`);
  const config: pg.QueryArrayConfig & { queryMode: "extended" } = {
    text: query,
    rowMode: "array",
    queryMode: "extended",
  };
  const result = client.query(config);
  // Both are on the wire already (pipeline mode); a failed BEGIN fails the query too.
  const [, rows] = await Promise.all([begin, result]);
  return rows.rows;
}

/** Sends Terminate and closes; after a timeout the socket is already destroyed. */
function close(client: pg.Client, timedOut: boolean): void {
  if (timedOut) return;
  client.end().catch(() => undefined);
}
