// The measured side of the capacity benchmark (bundled to build/bench/driver.mjs): the agent's
// real ProbeScheduler driving its real TCP (plain or with a conversation), HTTP, gRPC and PostgreSQL probers against targets that run
// in other processes. Nothing else runs in this process, so the CPU time and memory the
// orchestrator reads from /proc/<pid> are the probing path's own. It records, per probe, how late
// the probe started against its planned slot (the scheduler's lateMs) and how long it took.
//
// argv[2]: JSON DriverConfig. stdin commands and replies (JSON lines):
//   {cmd:"mark"}   -> {event:"marked", at}          (counting starts afresh)
//   {cmd:"report"} -> {event:"report", probes, failures, late, duration, ...} (since the mark)
// On start: {event:"ready", workers}.

import { getHeapSpaceStatistics } from "node:v8";
import { createProbers } from "../../images/agent/src/probes/index.js";
import type { ConversationStep } from "../../images/agent/src/probes/tcp-conversation.js";
import type { ProbeSpec } from "../../images/agent/src/probes/types.js";
import { ProbeScheduler } from "../../images/agent/src/scheduler/scheduler.js";
import type { WorkerSpec } from "../../images/agent/src/scheduler/types.js";
import { emit, onCommands, type Message } from "../lib/child.js";
import { summarize } from "../lib/stats.js";
import { targetAddress } from "./addresses.js";
import type { CapacityMode } from "./plan.js";
import type { DriverMemory } from "./result.js";

/** What the driver probes. */
export interface DriverConfig {
  readonly mode: CapacityMode;
  /** Number of workers (targets). */
  readonly count: number;
  readonly port: number;
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly maxConcurrent: number;
  /** HTTPS: the targets' CA and the host name their certificate is for (sent as SNI and Host). */
  readonly tls?: { readonly caCert: string; readonly host: string };
  /** HTTPS: false makes every handshake a full one (the prober resumes sessions by default). */
  readonly tlsResumption?: boolean;
  /** PostgreSQL target: every worker probes this server (it is the limit, not the addresses). */
  readonly postgres?: {
    readonly address: string;
    readonly user: string;
    readonly password: string;
    readonly dbName: string;
  };
}

/** A growable buffer of numbers (probe-rate sample sets reach hundreds of thousands). */
class Samples {
  #data = new Float64Array(1 << 16);
  #size = 0;

  push(value: number): void {
    if (this.#size === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#size++] = value;
  }

  values(): Float64Array {
    return this.#data.subarray(0, this.#size);
  }

  clear(): void {
    this.#size = 0;
  }
}

/** docs/EXAMPLES.md's SMTP conversation, as the agent holds it. */
const SMTP_CONVERSATION: readonly ConversationStep[] = [
  { kind: "expect", match: "prefix", text: "220" },
  { kind: "send", line: "EHLO swh-probe" },
  { kind: "expect", match: "prefix", text: "250" },
  { kind: "send", line: "QUIT" },
];

function probeSpec(config: DriverConfig): ProbeSpec {
  if (config.mode === "TCP") return { mode: "TCP", port: config.port };
  if (config.mode === "GRPC") {
    const grpc = { service: "", scheme: "HTTP", insecureSkipTLSVerify: false } as const;
    return { mode: "GRPC", port: config.port, ...grpc };
  }
  if (config.mode === "SMTP") {
    return { mode: "TCP", port: config.port, conversation: SMTP_CONVERSATION };
  }
  if (config.mode === "HTTP" || config.mode === "HTTPS") {
    const https = config.mode === "HTTPS";
    if (https && config.tls === undefined) throw new Error("an HTTPS run needs the `tls` settings");
    return {
      mode: "HTTP",
      port: config.port,
      path: "/healthz",
      headers: [],
      method: "GET",
      scheme: https ? "HTTPS" : "HTTP",
      insecureSkipTLSVerify: false,
      expectedStatusCodes: [],
      ...(https ? { caCert: config.tls?.caCert, host: config.tls?.host } : {}),
    };
  }
  const pg = config.postgres;
  if (pg === undefined) throw new Error("a PostgreSQL run needs the `postgres` settings");
  return {
    mode: "PostgreSQL",
    port: config.port,
    dbName: pg.dbName,
    query: "select 1",
    credentials: { user: pg.user, password: pg.password, tlsMode: "Prefer" },
  };
}

function workers(config: DriverConfig): WorkerSpec[] {
  const probe = probeSpec(config);
  return Array.from({ length: config.count }, (_, i) => ({
    key: `target-${i}`,
    address: config.postgres?.address ?? targetAddress(i),
    probe,
    periodMs: config.periodMs,
    timeoutMs: config.timeoutMs,
    initialDelayMs: 0,
    successThreshold: 1,
    failureThreshold: 3,
  }));
}

const config = JSON.parse(process.argv[2] ?? "{}") as DriverConfig;
const late = new Samples();
const durations = new Samples();
let failures = 0;
let firstFailure: string | undefined;
let maxQueue = 0;
let markedAt = Date.now();

const probers = createProbers(
  config.tlsResumption === false ? { http: { tlsSessionBytes: 0 } } : {},
);
const scheduler = new ProbeScheduler({
  probers: probers.probers,
  maxConcurrent: config.maxConcurrent,
  onChange: () => undefined,
  observer: {
    onProbe: (_spec, outcome, lateMs) => {
      late.push(lateMs);
      durations.push(outcome.durationMs);
      if (!outcome.ok) {
        failures += 1;
        firstFailure ??= outcome.reason;
      }
    },
    onQueueDepth: depth => {
      if (depth > maxQueue) maxQueue = depth;
    },
  },
});

function report(): Message {
  const lateSummary = summarize(late.values());
  return {
    event: "report",
    probes: lateSummary.n,
    failures,
    ...(firstFailure === undefined ? {} : { firstFailure }),
    late: lateSummary,
    duration: summarize(durations.values()),
    maxQueue,
    elapsedMs: Date.now() - markedAt,
    heapUsedMiB: process.memoryUsage().heapUsed / MIB,
    memory: memory(),
  };
}

const MIB = 1048576;

/** process.memoryUsage() and the young generation's reservation, in MiB (see DriverMemory). */
function memory(): DriverMemory {
  const usage = process.memoryUsage();
  const newSpace = getHeapSpaceStatistics().find(space => space.space_name === "new_space");
  return {
    rss: usage.rss / MIB,
    heapTotal: usage.heapTotal / MIB,
    heapUsed: usage.heapUsed / MIB,
    external: usage.external / MIB,
    arrayBuffers: usage.arrayBuffers / MIB,
    newSpace: (newSpace?.space_size ?? 0) / MIB,
  };
}

onCommands(command => {
  if (command.cmd === "mark") {
    late.clear();
    durations.clear();
    failures = 0;
    firstFailure = undefined;
    maxQueue = scheduler.queueDepth();
    markedAt = Date.now();
    emit({ event: "marked", at: markedAt });
  } else if (command.cmd === "report") {
    emit(report());
  }
});
process.on("SIGTERM", () => {
  scheduler.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
scheduler.sync(workers(config));
emit({ event: "ready", workers: scheduler.size() });
