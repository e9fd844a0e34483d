// The seed's switchover on real pods, seen by a real client: a client pod writes through
// `postgres-write`'s cluster IP and reads through `postgres-read`'s in two loops (a new
// connection per attempt, so kube-proxy picks a server each time) while the old primary is
// fenced (its server stopped: it takes no more writes) and a standby promoted. Returns the
// client's reports and when the Services' EndpointSlices followed, as kube-proxy saw them, and
// records what the client saw (build/e2e-report.json).
import { setTimeout as sleep } from "node:timers/promises";
import type { BackendClient } from "../backends/client.js";
import type { SqlLoadReport, SqlStatement } from "../backends/sql-load.js";
import type { World } from "../world/handle.js";
import { eventually } from "../../e2e/support/eventually.js";
import { clusterIp } from "./real-pods.js";
import { PG_PORT, type RealPostgres } from "./real-postgres.js";
import { EndpointRecorder } from "./recorder.js";
import { recordMeasurement } from "./report.js";
import type { ReadSwitchoverOutcome, WriteSwitchoverOutcome } from "./sql-switchover.js";
import { SEED_CREDENTIALS } from "./workloads.js";

/** How the client connects: the seed's credentials and probe database. */
const CONNECTION = { port: PG_PORT, ...SEED_CREDENTIALS, database: "postgres" } as const;

/** What happened, in epoch ms, and what the client saw. */
export interface ClientSwitchover {
  /** The fence began. */
  readonly fenceAt: number;
  /** The old primary's server had stopped. */
  readonly fencedAt: number;
  /** The standby accepts writes. */
  readonly promotedAt: number;
  readonly write: SqlLoadReport;
  readonly read: SqlLoadReport;
  /** postgres-write's slices show the new primary ready and the old one not (undefined: never). */
  readonly writeServiceSwitchedAt: number | undefined;
  /** postgres-read's slices show the fenced server not ready (undefined: never). */
  readonly readServiceDroppedAt: number | undefined;
}

/**
 * Connect and statement timeout of each attempt across a switchover. The fenced server refuses
 * at once and the others answer in milliseconds, so a timeout says the machine was busy, not
 * where the attempt went; 3 s (an application's usual order) keeps a loaded 2-core CI run from
 * reporting one (the 1 s default did once, in 548 attempts).
 */
const SWITCHOVER_ATTEMPT_TIMEOUT_MS = 3_000;

/** Runs `statement` through `host` from `client` for `ms` at `intervalMs`. */
export function sqlLoop(
  client: BackendClient,
  host: string,
  statement: SqlStatement,
  timing: {
    readonly durationMs: number;
    readonly intervalMs: number;
    readonly timeoutMs?: number;
  },
): Promise<SqlLoadReport> {
  return client.sqlLoad({ host, ...CONNECTION, statement, ...timing });
}

/** Waits until a second of `statement`s through `host` succeeds (kube-proxy has the Service). */
export async function sqlServedThrough(
  client: BackendClient,
  host: string,
  statement: SqlStatement,
): Promise<void> {
  await eventually(
    `${statement}s through ${host} succeed`,
    async () => {
      const r = await sqlLoop(client, host, statement, { durationMs: 1000, intervalMs: 100 });
      if (r.failed > 0) throw new Error(`${r.failed} of ${r.sent} failed`);
    },
    60_000,
    0,
  );
}

/**
 * When, at or after `since`, `recorder` first showed `pod` as `ready` (absent = not ready), if it
 * still does; `since` when it did already.
 */
function changed(
  recorder: EndpointRecorder,
  pod: string,
  ready: boolean,
  since: number,
): number | undefined {
  if ((recorder.current().get(pod) ?? false) !== ready) return undefined;
  return recorder.firstChange(pod, ready, since) ?? since;
}

/** Waits until the slices show `to` the only writable server and `from` out of reads. */
async function waitForSlices(
  writes: EndpointRecorder,
  reads: EndpointRecorder,
  pods: { readonly from: string; readonly to: string },
): Promise<void> {
  const ready = (m: ReadonlyMap<string, boolean>): string[] =>
    [...m].filter(([, ok]) => ok).map(([pod]) => pod);
  await eventually(
    `the slices show ${pods.to} the only writable server and ${pods.from} out of reads`,
    () => {
      const [write, read] = [ready(writes.current()), ready(reads.current())];
      if (write.join() !== pods.to || read.includes(pods.from)) {
        throw new Error(`write [${write.join(", ")}], read [${read.join(", ")}]`);
      }
      return Promise.resolve();
    },
    120_000,
    200,
  );
}

/**
 * Starts the two loops, fences `from` `fenceAfterMs` into them and promotes `to`, waits for the
 * loops to end and for both Services to have switched. The slices of both Services are watched
 * from before the loops start.
 */
export async function runClientSwitchover(
  world: World,
  opts: {
    readonly pg: RealPostgres;
    readonly client: BackendClient;
    readonly from: string;
    readonly to: string;
    readonly durationMs: number;
    readonly intervalMs: number;
    readonly fenceAfterMs: number;
  },
): Promise<ClientSwitchover> {
  const ns = opts.pg.namespace;
  const [writeIp, readIp] = [
    await clusterIp(world, ns, "postgres-write"),
    await clusterIp(world, ns, "postgres-read"),
  ];
  const writes = new EndpointRecorder(world, ns, "postgres-write");
  const reads = new EndpointRecorder(world, ns, "postgres-read");
  await writes.start();
  await reads.start();
  try {
    const timing = {
      durationMs: opts.durationMs,
      intervalMs: opts.intervalMs,
      timeoutMs: SWITCHOVER_ATTEMPT_TIMEOUT_MS,
    };
    const write = sqlLoop(opts.client, writeIp, "write", timing);
    const read = sqlLoop(opts.client, readIp, "read", timing);
    await sleep(opts.fenceAfterMs);
    const fenceAt = Date.now();
    await opts.pg.pods.get(opts.from)!.backend.podPostgres("stop");
    const fencedAt = Date.now();
    await opts.pg.pods.get(opts.to)!.backend.podPostgres("promote");
    const promotedAt = Date.now();
    const [w, r] = await Promise.all([write, read]);
    await waitForSlices(writes, reads, opts);
    const newIn = changed(writes, opts.to, true, fenceAt);
    const oldOut = changed(writes, opts.from, false, fenceAt);
    return {
      fenceAt,
      fencedAt,
      promotedAt,
      write: w,
      read: r,
      writeServiceSwitchedAt:
        newIn === undefined || oldOut === undefined ? undefined : Math.max(newIn, oldOut),
      readServiceDroppedAt: changed(reads, opts.from, false, fenceAt),
    };
  } finally {
    await writes.stop();
    await reads.stop();
  }
}

type Row = readonly [name: string, value: number, unit: "ms" | "count", description: string];

/** The measurements of one switchover: what the client saw, and the slices for comparison. */
function switchoverRows(
  run: ClientSwitchover,
  write: WriteSwitchoverOutcome,
  read: ReadSwitchoverOutcome,
): Row[] {
  const since = (at: number | undefined): number => (at === undefined ? NaN : at - run.fenceAt);
  const fence = "fence begins ->";
  return [
    [
      "writeDowntimeMs",
      write.firstWriteOnNewPrimaryMs ?? NaN,
      "ms",
      `${fence} first successful write through postgres-write (on db-1)`,
    ],
    [
      "writeFailedBeforeFirstWrite",
      write.failedBeforeFirstWrite,
      "count",
      "failed writes between the fence and that first write",
    ],
    [
      "writeFailedAttempts",
      write.failedAfterFence,
      "count",
      `failed writes after the fence, of ${write.sentAfterFence}`,
    ],
    ["writeLastFailureMs", write.lastFailureMs, "ms", `${fence} last failed write`],
    [
      "writeServiceSwitchMs",
      since(run.writeServiceSwitchedAt),
      "ms",
      `${fence} postgres-write's slices show only db-1 ready`,
    ],
    ["promotedMs", since(run.promotedAt), "ms", `${fence} db-1 promoted (accepts writes)`],
    [
      "readFailedAttempts",
      read.failedAfterFence,
      "count",
      `failed reads through postgres-read after the fence, of ${read.sentAfterFence}`,
    ],
    ["readLastFailureMs", read.lastFailureMs, "ms", `${fence} last failed read`],
    [
      "readServiceDropMs",
      since(run.readServiceDroppedAt),
      "ms",
      `${fence} postgres-read's slices show db-0 not ready`,
    ],
  ];
}

/** Records what the client saw across the PostgreSQL switchover (build/e2e-report.json). */
export async function recordClientSwitchover(
  run: ClientSwitchover,
  write: WriteSwitchoverOutcome,
  read: ReadSwitchoverOutcome,
): Promise<void> {
  const what =
    "seed's PostgreSQL switchover on real pods (fence db-0, promote db-1), a client pod looping every 100 ms, a new connection each";
  for (const [name, value, unit, description] of switchoverRows(run, write, read)) {
    await recordMeasurement({
      name: `realPostgres.${name}`,
      value,
      unit,
      description: `${what}: ${description}`,
    });
  }
}
