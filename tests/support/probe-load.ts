// Load harness for the probers and the scheduler: starts many loopback targets (TCP or HTTP
// listeners on distinct 127.x.y.z addresses) in a separate Node.js process, so the servers
// do not compete with the measured agent for its event loop, then drives the real
// ProbeScheduler against them and reports achieved probes/s, failures, lateness, CPU and RSS.
// Used for the quick figures in reports; the benchmark suite may reuse it. As a command:
//   npx esbuild tests/support/probe-load.ts --bundle --platform=node --format=esm \
//     --external:pg-native --outfile=/tmp/probe-load.mjs \
//     --banner:js="import{createRequire}from'module';const require=createRequire(import.meta.url);"
//   node /tmp/probe-load.mjs TCP 10000 1000 8000    # mode targets periodMs durationMs

import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { pathToFileURL } from "node:url";
import { createProbers } from "../../images/agent/src/probes/index.js";
import type { ProbeSpec } from "../../images/agent/src/probes/types.js";
import { ProbeScheduler } from "../../images/agent/src/scheduler/scheduler.js";
import type { WorkerSpec } from "../../images/agent/src/scheduler/types.js";

/** What to measure. */
export interface LoadOptions {
  mode: "TCP" | "HTTP";
  targets: number;
  periodMs: number;
  durationMs: number;
  maxConcurrent: number;
  /** Options for the HTTP prober (e.g. keepAlive: false). */
  keepAlive?: boolean;
}

/** Measured figures. */
export interface LoadReport {
  mode: string;
  targets: number;
  periodMs: number;
  demandedPerSec: number;
  probesPerSec: number;
  failures: number;
  lateP50Ms: number;
  lateP99Ms: number;
  cpuPercent: number;
  /** Agent CPU time per probe; 1e6 / this = probes/s one core could sustain. */
  cpuMicrosPerProbe: number;
  rssMiB: number;
  heapUsedMiB: number;
  firstFailure?: string;
}

const SERVER_SCRIPT = `
const net = require("node:net"), http = require("node:http");
const [mode, count, port] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const onRequest = (req, res) => { res.writeHead(200, { "content-length": 2 }); res.end("ok"); };
let pending = count;
for (let i = 0; i < count; i++) {
  const host = "127.1." + Math.floor(i / 250) + "." + (i % 250 + 1);
  const server = mode === "HTTP" ? http.createServer(onRequest) : net.createServer((s) => { s.on("error", () => {}); s.resume(); });
  if (mode === "HTTP") server.keepAliveTimeout = 5000;
  server.listen({ host, port, backlog: 4096 }, () => { if (--pending === 0) console.log("ready"); });
}
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

/** Address of the i-th target (127.1.0.1, 127.1.0.2, ...). */
export function targetAddress(i: number): string {
  return `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

/** Starts `count` listeners of `mode` on `port` in a child process. */
export async function startLoadServers(
  mode: "TCP" | "HTTP",
  count: number,
  port: number,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["-e", SERVER_SCRIPT, mode, String(count), String(port)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  await once(child.stdout, "data");
  return child;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function probeFor(mode: "TCP" | "HTTP", port: number): ProbeSpec {
  if (mode === "TCP") return { mode, port };
  return {
    mode,
    port,
    path: "/healthz",
    headers: [],
    method: "GET",
    scheme: "HTTP",
    insecureSkipTLSVerify: false,
    expectedStatusCodes: [],
  };
}

/** Runs the scheduler against already started targets and measures it. */
export async function measureLoad(options: LoadOptions, port: number): Promise<LoadReport> {
  const probers = createProbers({ http: { keepAlive: options.keepAlive ?? true } });
  const late: number[] = [];
  let count = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  let measuring = false;
  const scheduler = new ProbeScheduler({
    probers: probers.probers,
    maxConcurrent: options.maxConcurrent,
    onChange: () => undefined,
    observer: {
      onProbe: (_spec, outcome, lateMs) => {
        if (!measuring) return;
        count += 1;
        late.push(lateMs);
        if (!outcome.ok) {
          failures += 1;
          firstFailure ??= outcome.reason;
        }
      },
    },
  });
  const probe = probeFor(options.mode, port);
  const workers: WorkerSpec[] = Array.from({ length: options.targets }, (_, i) => ({
    key: `w${i}`,
    address: targetAddress(i),
    probe,
    periodMs: options.periodMs,
    timeoutMs: 1_000,
    initialDelayMs: 0,
    successThreshold: 1,
    failureThreshold: 3,
  }));
  scheduler.sync(workers);
  // Warm up one period (first probes are jittered over it), then measure.
  await new Promise(resolve => setTimeout(resolve, options.periodMs + 200));
  measuring = true;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  await new Promise(resolve => setTimeout(resolve, options.durationMs));
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  measuring = false;
  const memory = process.memoryUsage();
  await scheduler.stop();
  probers.close();
  late.sort((a, b) => a - b);
  return {
    mode: options.mode,
    targets: options.targets,
    periodMs: options.periodMs,
    demandedPerSec: Math.round((options.targets * 1_000) / options.periodMs),
    probesPerSec: Math.round((count * 1_000) / elapsed),
    failures,
    lateP50Ms: percentile(late, 50),
    lateP99Ms: percentile(late, 99),
    cpuPercent: Math.round(((cpu.user + cpu.system) / 1_000 / elapsed) * 100),
    cpuMicrosPerProbe: count === 0 ? 0 : Math.round((cpu.user + cpu.system) / count),
    rssMiB: Math.round(memory.rss / 1024 / 1024),
    heapUsedMiB: Math.round(memory.heapUsed / 1024 / 1024),
    ...(firstFailure === undefined ? {} : { firstFailure }),
  };
}

/** Command line: `<TCP|HTTP> <targets> <periodMs> <durationMs> [nokeepalive]`, prints JSON. */
async function main(args: string[]): Promise<void> {
  const [mode, targets = "1000", periodMs = "1000", durationMs = "5000", keepAlive] = args;
  if (mode !== "TCP" && mode !== "HTTP")
    throw new Error("usage: <TCP|HTTP> targets periodMs durationMs");
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const servers = await startLoadServers(mode, Number(targets), port);
  try {
    const options: LoadOptions = {
      mode,
      targets: Number(targets),
      periodMs: Number(periodMs),
      durationMs: Number(durationMs),
      maxConcurrent: 512,
      keepAlive: keepAlive !== "nokeepalive",
    };
    console.log(JSON.stringify(await measureLoad(options, port)));
  } finally {
    servers.stdin?.end();
    servers.kill();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
