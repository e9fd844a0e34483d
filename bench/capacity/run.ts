// Runs the capacity benchmark (BRIEF §7 "Agent capacity"): for each group of targets, starts
// the target servers in their own processes, then measures in turn the agent's scheduler and
// probers (the driver process) and HAProxy's active checks against them for the same fixed time,
// reading each measured process's CPU time and memory from /proc. TCP and HTTP(S) runs happen in a
// private network namespace (see lib/netns.ts) whose kernel counters give the connections each
// measured process opened. PostgreSQL runs probe one real server (Debian's PostgreSQL, started
// for the run), which is the limit there: every probe is a new connection, a forked backend and
// a SCRAM authentication on the server side.

import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { PostgresCluster } from "../../tests/support/postgres-cluster.js";
import { createTestPki, type TestPki } from "../../tests/support/tls.js";
import { JsonChild, type Message } from "../lib/child.js";
import { describeMachine, loadNow } from "../lib/machine.js";
import { createNetns, deleteNetns, tcpCounters, type Netns } from "../lib/netns.js";
import { shippedNodeFlags } from "../lib/agent-image.js";
import type { GroupSelector } from "../lib/args.js";
import { NODE, bundle } from "../lib/paths.js";
import { cpuSeconds, memoryMiB } from "../lib/proc.js";
import { ensureTools, toolVersion } from "../lib/setup.js";
import type { Summary } from "../lib/stats.js";
import { cpuPinning, sleep, type Pinning } from "../lib/util.js";
import { targetAddresses } from "./addresses.js";
import type { DriverConfig } from "./driver.js";
import { startHaproxy } from "./haproxy.js";
import {
  capacityPlan,
  capacityTiming,
  type CapacityRun,
  type CapacityTiming,
  runLabel,
  selectGroups,
  type TargetGroup,
} from "./plan.js";
import type { CapacityMeasurement, CapacityResults, DriverMemory } from "./result.js";

const execFileAsync = promisify(execFile);

/** Options of runCapacity. */
export interface CapacityOptions {
  readonly quick: boolean;
  readonly log: (line: string) => void;
  /** Only these target groups (a diagnostic run); all of the plan when empty or absent. */
  readonly only?: readonly GroupSelector[];
}

/** Where a group's probes go and how its processes are started. */
interface Targets {
  readonly port: number;
  /** Command prefixes: network namespace (if any) + CPU pinning. */
  readonly measuredPrefix: readonly string[];
  /** Target server processes (TCP/HTTP/HTTPS/SMTP), absent for PostgreSQL. */
  readonly servers: readonly JsonChild[];
  readonly postgres?: { cluster: PostgresCluster; pid: number; address: string };
  /** HTTPS: the targets' certificate authority and the name their certificate is for. */
  readonly tls?: TargetsTls;
}

/** The TLS side of HTTPS targets. */
interface TargetsTls {
  readonly pki: TestPki;
  readonly caCert: string;
  readonly caCertPath: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** Sent as SNI and Host, and named by the certificate (one name for every target). */
  readonly host: string;
}

/** The host name of every HTTPS target. */
const TLS_HOST = "targets.bench.example";

/** Fixed port of every target: the namespace is ours, nothing else listens in it. */
const TARGET_PORT = 8080;
/**
 * Targets per server process: each holds a listener and (HTTP) a kept-alive connection per
 * target, and the file limit may be as low as 20,000 where it cannot be raised.
 */
const TARGETS_PER_PROCESS = 2_500;
const NETNS_NAME = "swh-bench-capacity";
const PG_USER = "bench";
const PG_PASSWORD = "bench-probe-password";

/** Counters at one end of a measuring window. */
interface Mark {
  readonly at: number;
  readonly cpu: number;
  /** Connections (TCP) or requests (HTTP) the targets saw. */
  readonly serverSeen: number;
  /** connect() calls in the namespace (kernel TCP ActiveOpens). */
  readonly connects: number;
  /** PostgreSQL postmaster + backends CPU seconds. */
  readonly serverCpu: number;
}

function command(
  prefix: readonly string[],
  argv: readonly string[],
): { file: string; args: string[] } {
  const all = [...prefix, ...argv];
  return { file: all[0] ?? NODE, args: all.slice(1) };
}

async function mark(pid: number, targets: Targets, mode: CapacityRun["mode"]): Promise<Mark> {
  let serverSeen = 0;
  for (const server of targets.servers) {
    const reply = await server.request({ cmd: "count" }, "count");
    // SMTP targets count EHLOs as requests: a conversation that got past the greeting.
    serverSeen += Number(mode === "TCP" ? reply.connections : reply.requests);
  }
  const counterPid = targets.servers[0]?.pid;
  const connects = counterPid === undefined ? 0 : (await tcpCounters(counterPid)).activeOpens;
  const serverCpu = targets.postgres ? cpuSeconds(targets.postgres.pid, true) : 0;
  return { at: Date.now(), cpu: cpuSeconds(pid), serverSeen, connects, serverCpu };
}

async function startServers(
  group: TargetGroup,
  prefix: readonly string[],
  tls: TargetsTls | undefined,
): Promise<JsonChild[]> {
  const servers: JsonChild[] = [];
  const files = tls === undefined ? {} : { tls: { certPath: tls.certPath, keyPath: tls.keyPath } };
  try {
    for (let first = 0; first < group.targets; first += TARGETS_PER_PROCESS) {
      const count = Math.min(TARGETS_PER_PROCESS, group.targets - first);
      const config = JSON.stringify({
        mode: group.mode,
        port: TARGET_PORT,
        first,
        count,
        ...files,
      });
      const server = new JsonChild({
        ...command(prefix, [NODE, bundle("targets"), config]),
        name: "targets",
      });
      servers.push(server);
      const ready = await server.next(m => m.event === "ready", 120_000);
      if (Number(ready.failed) > 0) {
        throw new Error(
          `${String(ready.failed)} targets could not listen: ${String(ready.firstError)}`,
        );
      }
    }
  } catch (error) {
    for (const server of servers) await server.stop();
    throw error;
  }
  return servers;
}

async function startTargets(group: TargetGroup, pinning: Pinning, netns: Netns): Promise<Targets> {
  if (group.mode === "PostgreSQL") return startPostgres(pinning, group.targets);
  const tls = group.mode === "HTTPS" ? await targetsTls() : undefined;
  try {
    const servers = await startServers(group, [...netns.prefix, ...pinning.servers], tls);
    return {
      port: TARGET_PORT,
      measuredPrefix: [...netns.prefix, ...pinning.measured],
      servers,
      ...(tls === undefined ? {} : { tls }),
    };
  } catch (error) {
    await tls?.pki.dispose();
    throw error;
  }
}

/** A CA made for the run and one server certificate for TLS_HOST (EC P-256 keys). */
async function targetsTls(): Promise<TargetsTls> {
  const pki = await createTestPki("swh bench targets CA");
  try {
    const cert = await pki.issue({ commonName: TLS_HOST, dnsNames: [TLS_HOST] });
    const { caCert, caCertPath } = pki;
    return {
      pki,
      caCert,
      caCertPath,
      certPath: cert.certPath,
      keyPath: cert.keyPath,
      host: TLS_HOST,
    };
  } catch (error) {
    await pki.dispose();
    throw error;
  }
}

/** The postmaster's pid: the first line of `postmaster.pid` in the data directory. */
async function postmasterPid(dataDir: string): Promise<number> {
  const text = await readFile(join(dataDir, "postmaster.pid"), "utf8").catch(() => "");
  const pid = Number(text.split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no postmaster.pid in ${dataDir}`);
  return pid;
}

async function startPostgres(pinning: Pinning, targets: number): Promise<Targets> {
  const cluster = await PostgresCluster.start({
    settings: [`max_connections = ${Math.max(200, targets + 100)}`],
  });
  try {
    const { primary } = cluster;
    await cluster.sql(primary, `CREATE ROLE ${PG_USER} LOGIN PASSWORD '${PG_PASSWORD}'`);
    const pid = await postmasterPid(primary.dataDir);
    const cpus = pinning.servers.at(-1);
    // Pin the postmaster; the backends it forks from now on inherit the affinity.
    if (cpus !== undefined) await execFileAsync("taskset", ["-a", "-p", "-c", cpus, String(pid)]);
    return {
      port: primary.port,
      measuredPrefix: pinning.measured,
      servers: [],
      postgres: { cluster, pid, address: primary.address },
    };
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
}

async function stopTargets(targets: Targets): Promise<void> {
  for (const server of targets.servers) await server.stop();
  await targets.postgres?.cluster.destroy();
  await targets.tls?.pki.dispose();
}

async function startDriver(
  spec: CapacityRun,
  targets: Targets,
  timing: CapacityTiming,
): Promise<JsonChild> {
  const pg = targets.postgres;
  const config: DriverConfig = {
    mode: spec.mode,
    count: spec.targets,
    port: targets.port,
    periodMs: timing.periodMs,
    timeoutMs: timing.timeoutMs,
    maxConcurrent: 1_000,
    ...(targets.tls ? { tls: { caCert: targets.tls.caCert, host: targets.tls.host } } : {}),
    ...(spec.tlsResumption === undefined ? {} : { tlsResumption: spec.tlsResumption }),
    ...(pg
      ? {
          postgres: {
            address: pg.address,
            user: PG_USER,
            password: PG_PASSWORD,
            dbName: "postgres",
          },
        }
      : {}),
  };
  const driver = new JsonChild({
    ...command(targets.measuredPrefix, [
      NODE,
      ...spec.nodeFlags,
      bundle("driver"),
      JSON.stringify(config),
    ]),
    name: "driver",
  });
  await driver.next(m => m.event === "ready", 60_000);
  return driver;
}

function isMemory(value: unknown): value is DriverMemory {
  return typeof value === "object" && value !== null && "heapTotal" in value;
}

function summary(message: Message, key: string): Summary | undefined {
  const value = message[key];
  return typeof value === "object" && value !== null ? (value as Summary) : undefined;
}

interface Window {
  readonly start: Mark;
  readonly end: Mark;
  readonly pid: number;
}

function figures(spec: CapacityRun, timing: CapacityTiming, window: Window, probes: number) {
  const seconds = (window.end.at - window.start.at) / 1000;
  const cpu = window.end.cpu - window.start.cpu;
  const memory = memoryMiB(window.pid);
  return {
    ...spec,
    demandedPerSec: (spec.targets * 1000) / timing.periodMs,
    achievedPerSec: probes / seconds,
    serverSeenPerSec: (window.end.serverSeen - window.start.serverSeen) / seconds,
    connectsPerSec: (window.end.connects - window.start.connects) / seconds,
    measuredSeconds: seconds,
    cpuSeconds: cpu,
    cpuCores: cpu / seconds,
    cpuSecondsPer1000: probes === 0 ? NaN : (cpu / probes) * 1000,
    probesPerCpuSecond: cpu === 0 ? NaN : probes / cpu,
    rssMiB: memory.rssMiB,
    peakRssMiB: memory.peakMiB,
    load: loadNow(),
  };
}

async function measureAgent(
  spec: CapacityRun,
  targets: Targets,
  timing: CapacityTiming,
): Promise<CapacityMeasurement> {
  const driver = await startDriver(spec, targets, timing);
  try {
    await sleep(timing.warmupMs);
    await driver.request({ cmd: "mark" }, "marked");
    const start = await mark(driver.pid, targets, spec.mode);
    await sleep(timing.measureMs);
    const end = await mark(driver.pid, targets, spec.mode);
    const report = await driver.request({ cmd: "report" }, "report");
    const probes = Number(report.probes);
    const base = figures(spec, timing, { start, end, pid: driver.pid }, probes);
    // The rate over the driver's own window (it starts counting a moment before the CPU mark).
    const achievedPerSec = probes / (Number(report.elapsedMs) / 1000);
    const lateness = summary(report, "late");
    const duration = summary(report, "duration");
    const serverCpu = (end.serverCpu - start.serverCpu) / base.measuredSeconds;
    return {
      ...base,
      achievedPerSec,
      heapUsedMiB: Number(report.heapUsedMiB),
      ...(isMemory(report.memory) ? { memory: report.memory } : {}),
      failures: Number(report.failures),
      ...(typeof report.firstFailure === "string" ? { firstFailure: report.firstFailure } : {}),
      ...(lateness ? { lateness } : {}),
      ...(duration ? { duration } : {}),
      ...(targets.postgres ? { serverCpuCores: serverCpu } : {}),
    };
  } finally {
    await driver.stop();
  }
}

async function measureHaproxy(
  spec: CapacityRun,
  targets: Targets,
  timing: CapacityTiming,
): Promise<CapacityMeasurement> {
  const dir = await mkdtemp(join(tmpdir(), "swh-bench-haproxy-"));
  if (spec.mode === "GRPC") throw new Error("HAProxy has no gRPC health check");
  const mode = spec.mode === "PostgreSQL" ? "TCP" : spec.mode;
  const tls = targets.tls ? { caFile: targets.tls.caCertPath, host: targets.tls.host } : undefined;
  const haproxy = await startHaproxy(
    {
      mode,
      addresses: targetAddresses(spec.targets),
      port: targets.port,
      ...timing,
      ...(tls === undefined ? {} : { tls }),
    },
    dir,
    targets.measuredPrefix,
  );
  try {
    await sleep(timing.warmupMs);
    const start = await mark(haproxy.pid, targets, spec.mode);
    await sleep(timing.measureMs);
    const end = await mark(haproxy.pid, targets, spec.mode);
    // HAProxy counts no checks, and its TCP checks reset before the targets accept: every check
    // is one new connection, so the namespace's connect() count is its check count.
    return figures(spec, timing, { start, end, pid: haproxy.pid }, end.connects - start.connects);
  } finally {
    await haproxy.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function describe(m: CapacityMeasurement): string {
  const who = runLabel(m);
  const late = m.lateness ? `, late p99 ${m.lateness.p99.toFixed(0)} ms` : "";
  const fail = m.failures ? `, ${m.failures} failed (${m.firstFailure ?? ""})` : "";
  const server =
    m.serverCpuCores === undefined ? "" : `, server ${m.serverCpuCores.toFixed(2)} cores`;
  return (
    `${who} ${m.mode} ${m.targets}: ${m.achievedPerSec.toFixed(0)}/s, ` +
    `${m.cpuCores.toFixed(2)} cores, ${m.cpuSecondsPer1000.toFixed(4)} CPU s/1000, ` +
    `RSS ${m.rssMiB.toFixed(0)} MiB (peak ${m.peakRssMiB.toFixed(0)})${late}${fail}${server}`
  );
}

async function measureGroup(
  group: TargetGroup,
  targets: Targets,
  timing: CapacityTiming,
  log: (line: string) => void,
): Promise<CapacityMeasurement[]> {
  const runs: CapacityMeasurement[] = [];
  for (const spec of group.runs) {
    const result =
      spec.impl === "agent"
        ? await measureAgent(spec, targets, timing)
        : await measureHaproxy(spec, targets, timing);
    runs.push(result);
    log(`capacity: ${describe(result)}`);
  }
  return runs;
}

/** Starts a group's targets, measures its runs, stops the targets. */
async function measureTargets(
  group: TargetGroup,
  env: { pinning: Pinning; netns: Netns; timing: CapacityTiming; log: (line: string) => void },
): Promise<CapacityMeasurement[]> {
  const targets = await startTargets(group, env.pinning, env.netns);
  try {
    return await measureGroup(group, targets, env.timing, env.log);
  } finally {
    await stopTargets(targets);
  }
}

/** Runs the capacity part and returns its results. */
export async function runCapacity(options: CapacityOptions): Promise<CapacityResults> {
  const { log } = options;
  ensureTools(["haproxy", "taskset", "postgres", "ip", "openssl"], log);
  const pinning = cpuPinning();
  const timing = capacityTiming(options.quick);
  const shipped = shippedNodeFlags();
  const startedAt = loadNow();
  const runs: CapacityMeasurement[] = [];
  const errors: string[] = [];
  const netns = await createNetns(NETNS_NAME);
  try {
    const plan = capacityPlan(options.quick, shipped);
    for (const group of selectGroups(plan, options.only ?? [], shipped)) {
      log(`capacity: starting ${group.targets} ${group.mode} targets`);
      try {
        runs.push(...(await measureTargets(group, { pinning, netns, timing, log })));
      } catch (error) {
        const reason = `${group.targets} ${group.mode} targets: ${error instanceof Error ? error.message : String(error)}`;
        errors.push(reason);
        log(`capacity: FAILED ${reason}`);
      }
    }
  } finally {
    await deleteNetns(netns);
  }
  return {
    part: "capacity",
    quick: options.quick,
    machine: {
      ...describeMachine(),
      haproxy: toolVersion("haproxy", ["-v"]) ?? "unknown",
      postgres: toolVersion("psql", ["--version"]) ?? "unknown",
    },
    pinning: `${pinning.description}; TCP/HTTP/HTTPS/SMTP runs in a private network namespace`,
    shippedNodeFlags: shipped,
    timing,
    startedAt,
    finishedAt: loadNow(),
    runs,
    errors,
  };
}
