// bench/REPORT.md as text, from the stored results, the judged bars and the plots: a table per
// bar, then one section per part with its method, its numbers and its plots. Pure; generate.ts
// writes it. The numbers are the runs' own; nothing here is typed in by hand.

import { runLabel } from "../capacity/plan.js";
import type { CapacityMeasurement, CapacityResults } from "../capacity/result.js";
import { WRITE_VERBS, type RequestCount } from "../cluster/audit.js";
import type { ClusterResults } from "../cluster/result.js";
import type { HookResults } from "../hooks/result.js";
import type { Load, Machine } from "../lib/machine.js";
import type { Summary } from "../lib/stats.js";
import { hookGrowth, type AllResults, type BarRow } from "./bars.js";
import type { Plot } from "./plots.js";

const n0 = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? "-" : Math.round(v).toLocaleString("en-US");
const f = (v: number | undefined, digits: number): string =>
  v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(digits);

/** 1st, 2nd, 3rd, 4th... */
function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map(r => `| ${r.join(" | ")} |`),
  ];
}

const VERDICT: Record<BarRow["verdict"], string> = {
  met: "✅ met",
  missed: "❌ missed",
  "not measured": "— not measured",
  reference: "ℹ️ shown",
};

/** The bars table (also printed on the console). */
export function barsTable(bars: readonly BarRow[]): string[] {
  return table(
    ["Bar (BRIEF §7)", "Measured", "Verdict"],
    bars.map(b => [b.bar, b.measured + (b.note ? ` — *${b.note}*` : ""), VERDICT[b.verdict]]),
  );
}

function loadText(from: Load, to: Load): string {
  return `load average ${from.load1} → ${to.load1} (1 min), ${from.at.slice(0, 16).replace("T", " ")} UTC`;
}

function machineSection(results: AllResults): string[] {
  const parts = [results.capacity, results.hooks, results.cluster].filter(p => p !== undefined);
  const machine: Machine | undefined = parts[0]?.machine;
  if (machine === undefined) return [];
  const rows: string[][] = [
    ["CPU", `${machine.cpuModel}, ${machine.cores} cores`],
    ["Memory", `${machine.memoryGiB} GiB`],
    ["OS / kernel", `${machine.os} / ${machine.kernel}`],
    ["Node.js", machine.node],
  ];
  if (results.capacity) {
    rows.push(
      ["HAProxy", results.capacity.machine.haproxy ?? "-"],
      ["PostgreSQL", results.capacity.machine.postgres ?? "-"],
    );
  }
  if (results.cluster) rows.push(["Kubernetes (box)", results.cluster.kubernetes]);
  for (const p of parts) {
    rows.push([`Run: ${p.part}${p.quick ? " (quick)" : ""}`, loadText(p.startedAt, p.finishedAt)]);
  }
  return ["## Machine", "", ...table(["", ""], rows), ""];
}

function capacityRows(runs: readonly CapacityMeasurement[]): string[][] {
  return runs.map(r => [
    runLabel(r),
    r.mode,
    n0(r.targets),
    n0(r.achievedPerSec),
    n0(r.connectsPerSec),
    f(r.cpuCores, 2),
    f(r.cpuSecondsPer1000, 4),
    n0(r.probesPerCpuSecond),
    `${n0(r.rssMiB)} / ${n0(r.peakRssMiB)}`,
    r.memory ? `${n0(r.memory.heapTotal)} / ${n0(r.memory.heapUsed)}` : n0(r.heapUsedMiB),
    r.lateness ? `${f(r.lateness.p50, 0)} / ${f(r.lateness.p99, 0)}` : "-",
    r.failures === undefined ? "-" : String(r.failures),
  ]);
}

function ratioRows(c: CapacityResults): string[][] {
  const rows: string[][] = [];
  for (const r of c.runs.filter(x => x.impl === "haproxy")) {
    for (const a of c.runs.filter(
      x => x.impl === "agent" && x.mode === r.mode && x.targets === r.targets,
    )) {
      rows.push([
        `${r.mode}: ${runLabel(a)}`,
        n0(r.targets),
        f(a.cpuSecondsPer1000, 4),
        f(r.cpuSecondsPer1000, 4),
        `${f(a.cpuSecondsPer1000 / r.cpuSecondsPer1000, 1)}×`,
      ]);
    }
  }
  return rows;
}

function plotLines(plots: readonly Plot[], prefix: string): string[] {
  return plots
    .filter(p => p.file.startsWith(prefix))
    .flatMap(p => [`![${p.caption}](plots/${p.file})`, "", `*${p.caption}.*`, ""]);
}

/** The shipped agent's Node.js flags, as text. */
function flagsText(c: CapacityResults): string {
  const flags = c.shippedNodeFlags ?? [];
  return flags.length === 0 ? "none" : flags.map(f => `\`${f}\``).join(" ");
}

function capacitySection(c: CapacityResults, plots: readonly Plot[]): string[] {
  const tcpHttp = c.runs.filter(r => r.mode !== "PostgreSQL");
  const pg = c.runs.filter(r => r.mode === "PostgreSQL");
  return [
    "## 1. Probe capacity",
    "",
    `The agent's real \`ProbeScheduler\` and probers (images/agent/src) run alone in a driver process; the targets ` +
      `(one loopback address each: TCP listeners, HTTP/HTTPS servers answering 200, SMTP servers greeting and ` +
      `answering EHLO, or gRPC health servers (@grpc/grpc-js) answering SERVING) run in separate processes. ` +
      `The agent runs with its image's Node.js flags (${flagsText(c)}, read from images/agent/Dockerfile) unless ` +
      `the row names others. Every ` +
      `target is probed every ${c.timing.periodMs / 1000} s; after a ${c.timing.warmupMs / 1000} s warm-up the ` +
      `driver's CPU time (utime+stime of all its threads, /proc/<pid>/stat) and memory (VmRSS/VmHWM) are read ` +
      `over ${c.timing.measureMs / 1000} s. HAProxy (\`check inter 1s\`, one backend per target, one thread) checks ` +
      `the same targets for the same time, measured the same way; its checks are counted by the kernel ` +
      `(TCP ActiveOpens of the benchmark's own network namespace). Pinning: ${c.pinning}.`,
    "",
    "Columns: achieved probes/s; new connections/s (kernel count); CPU in cores; CPU seconds per 1,000 probes; " +
      "probes one core would run at that cost; RSS now / peak (MiB); V8 heap reserved / in use (MiB, the rest of RSS is " +
      "the Node.js binary's pages, malloc'd memory and buffers); lateness p50 / p99 (ms) of the actual start " +
      "against the planned slot; failed probes.",
    "",
    "Every HTTP probe is a connection of its own (`Connection: close`, the server closes first), like HAProxy's " +
      "checks. HTTPS targets present an EC P-256 certificate for one host name, verified against their CA; the agent " +
      "and HAProxy both resume TLS sessions, and the agent runs once more with full handshakes only. SMTP rows are " +
      "the TCP probe holding docs/EXAMPLES.md's conversation (greeting `220`, `EHLO`, `250`, `QUIT`), HAProxy the same " +
      "as `tcp-check` rules. GRPC rows are the agent's gRPC health probe, one HTTP/2 connection per check; HAProxy " +
      "has no gRPC health check, so the agent runs alone there (compare with its HTTP rows).",
    "",
    ...table(
      [
        "Who",
        "Mode",
        "Targets",
        "Probes/s",
        "Conn/s",
        "CPU cores",
        "CPU s / 1,000",
        "Probes per CPU-s",
        "RSS / peak",
        "V8 heap",
        "Late p50 / p99",
        "Failed",
      ],
      capacityRows(tcpHttp),
    ),
    "",
    "CPU per check, agent against HAProxy on the same targets:",
    "",
    ...table(
      ["Mode", "Targets", "Agent CPU s / 1,000", "HAProxy CPU s / 1,000", "Agent / HAProxy"],
      ratioRows(c),
    ),
    "",
    ...plotLines(plots, "capacity-"),
    ...((c.errors as readonly string[] | undefined) ?? []).flatMap(e => [
      `**Not measured:** ${e}`,
      "",
    ]),
    "### PostgreSQL",
    "",
    "Every target is the same real PostgreSQL server (Debian's, started for the run, SCRAM authentication, " +
      "`max_connections` above the target count); each probe opens a connection, authenticates, runs " +
      "`select 1` in a read-only transaction and disconnects. **The server is the limit here**: every probe " +
      "forks a backend and runs SCRAM on the server side, shown as the server's CPU (postmaster and backends).",
    "",
    ...table(
      [
        "Targets",
        "Probes/s",
        "Agent CPU cores",
        "Agent CPU s / 1,000",
        "Server CPU cores",
        "RSS / peak",
        "Late p50 / p99",
        "Probe p50 / p99 ms",
        "Failed",
      ],
      pg.map(r => [
        n0(r.targets),
        n0(r.achievedPerSec),
        f(r.cpuCores, 2),
        f(r.cpuSecondsPer1000, 3),
        f(r.serverCpuCores, 2),
        `${n0(r.rssMiB)} / ${n0(r.peakRssMiB)}`,
        r.lateness ? `${f(r.lateness.p50, 0)} / ${f(r.lateness.p99, 0)}` : "-",
        r.duration ? `${f(r.duration.p50, 1)} / ${f(r.duration.p99, 1)}` : "-",
        `${r.failures ?? 0}${r.firstFailure ? ` (${r.firstFailure})` : ""}`,
      ]),
    ),
    "",
  ];
}

function summaryRow(name: string, s: Summary, floor?: number): string[] {
  return [
    name,
    String(s.n),
    n0(s.min),
    n0(s.p50),
    n0(s.p90),
    n0(s.p99),
    n0(s.max),
    floor === undefined ? "-" : n0(floor),
  ];
}

function requestRows(rows: readonly RequestCount[]): string[][] {
  return rows.map(r => [
    r.component,
    r.verb,
    r.resource,
    n0(r.count),
    WRITE_VERBS.has(r.verb) ? "write" : "read",
  ]);
}

function clusterSection(k: ClusterResults, plots: readonly Plot[]): string[] {
  const w = k.workload;
  const t = k.churn.endpointTransitions;
  const perChange = (resource: string): string =>
    f((k.churn.writesByResource[resource] ?? 0) / Math.max(1, t), 2);
  return [
    "## 2. Propagation",
    "",
    `Method: ${k.method}. Workload: ${n0(w.targets)} pods on one agent (${w.swhs} SWHs of ${n0(w.targets / w.swhs)}), ` +
      `one TCP probe each, period ${w.periodSeconds} s, failureThreshold ${w.failureThreshold}, successThreshold ` +
      `${w.successThreshold}. ${w.waves} waves flip ${w.flipsPerWave} backends (${f((100 * w.flipsPerWave) / w.targets, 0)}%) ` +
      `down (listener closed: connections refused) and up again. Threshold → slice: from the moment the agent's ` +
      `scheduler reports the crossing to the moment the benchmark's watch sees the slice change. End to end: from ` +
      `the listener closing (opening) to the same watch event. Missed samples: ${k.missed}.`,
    "",
    ...table(
      ["ms", "n", "min", "p50", "p90", "p99", "max", "floor"],
      [
        summaryRow("threshold → slice, to not ready", k.propagation.down),
        summaryRow("threshold → slice, to ready", k.propagation.up),
        summaryRow("threshold → slice, all", k.propagation.all),
        summaryRow("backend down → not ready", k.endToEnd.down, k.endToEnd.floorDownMs),
        summaryRow("backend up → ready", k.endToEnd.up, k.endToEnd.floorUpMs),
      ],
    ),
    "",
    `The floor is period × threshold: a failure is declared by the ${ordinal(w.failureThreshold)} failed probe, and the ` +
      `first of them comes anywhere within one period after the failure (probes are spread over the period), so ` +
      `detection takes between ${(w.failureThreshold - 1) * w.periodSeconds} s and ${w.failureThreshold * w.periodSeconds} s ` +
      `plus the propagation above.`,
    "",
    ...plotLines(plots, "propagation").concat(plotLines(plots, "end-to-end")),
    "## 3. Write amplification",
    "",
    `API requests counted in the kube-apiserver's audit log (one event per request), by who made them. Steady ` +
      `state: ${f(k.steady.seconds / 60, 1)} min with all ${n0(w.targets)} endpoints ready and nothing changing ` +
      `(slices of the measured node unchanged: ${k.steady.slicesUnchanged ? "yes" : "no"}); the measured agent used ` +
      `${f(k.steady.agentCpuCores, 3)} cores and ${n0(k.steady.agentRssMiB)} MiB RSS meanwhile. Lease updates are ` +
      `the agents' heartbeats (one per renew interval per agent, by design) and the API server's own.`,
    "",
    ...table(["Component", "Verb", "Resource", "Requests", "Kind"], requestRows(k.steady.rows)),
    "",
    `Churn: ${f(k.churn.seconds, 0)} s of flipping, ${n0(t)} endpoint transitions seen by the watch. Per transition: ` +
      `EndpointSlice writes ${perChange("endpointslices")}, SWH status patches ${perChange("servicewithhealthchecks/status")}, ` +
      `Events ${perChange("events")}.`,
    "",
    ...table(
      ["Component", "Verb", "Resource", "Requests", "Kind"],
      requestRows(k.churn.rows.filter(r => WRITE_VERBS.has(r.verb))),
    ),
    "",
  ];
}

function hooksSection(h: HookResults, plots: readonly Plot[]): string[] {
  const sizes = [...new Set(h.runs.map(r => r.swhs))].sort((a, b) => a - b);
  const hooks = [...new Set(h.runs.map(r => r.hook))];
  const rows: string[][] = [];
  for (const hook of hooks) {
    for (const swhs of sizes) {
      const first = h.runs.find(r => r.hook === hook && r.swhs === swhs && r.state === "first");
      const steady = h.runs.find(r => r.hook === hook && r.swhs === swhs && r.state !== "first");
      const any = first ?? steady;
      if (any === undefined) continue;
      const ops =
        Object.entries(first?.operations ?? {})
          .map(([k, v]) => `${v} ${k}`)
          .join(", ") || "none";
      rows.push([
        hook,
        n0(swhs),
        n0(any.pods),
        n0(any.slices),
        n0(first?.wallMs),
        steady
          ? `${n0(steady.wallMs)}${steady.state === "unconverged" ? " (still writing)" : ""}`
          : "-",
        n0(steady?.peakRssMiB ?? first?.peakRssMiB),
        f(steady?.contextMiB ?? first?.contextMiB, 1),
        ops,
      ]);
    }
  }
  const growth = hooks
    .map(hook => ({ hook, g: hookGrowth(h, hook) }))
    .map(({ hook, g }) => `${hook} ${g === undefined ? "-" : f(g.exponent, 2)}`)
    .join(", ");
  return [
    "## 4. Hook scaling",
    "",
    `The hooks executable as shipped (\`build/bench/hooks/swh-hooks\`, ${f(h.executableMiB, 0)} MiB, a Node ` +
      `single-executable application) runs \`hook run N\` on Group binding contexts built like the operator builds ` +
      `them: full objects (SWHs, child Services, the agents' EndpointSlices with their endpoint reports, Nodes, ` +
      `Leases, and what else a cluster holds) filtered by each binding's own jqFilter with the real jq. ` +
      (h.workload === undefined
        ? `10 pods per SWH over 5 nodes, so pods = 10 × SWHs. `
        : `The generated cluster, ${h.workload}. `) +
      `Wall time is the process's start to exit and peak RSS comes from /usr/bin/time; each is the ` +
      `median of ${h.runs[0]?.repeats ?? "-"} runs. "First" is the first run after an upgrade (no status written ` +
      `yet); "steady" is a run on the state the hooks wrote (their patches applied), where there is nothing to do.`,
    "",
    ...table(
      [
        "Hook",
        "SWHs",
        "Pods",
        "Slices",
        "First run ms",
        "Steady ms",
        "Peak RSS MiB",
        "Context MiB",
        "First run writes",
      ],
      rows,
    ),
    "",
    `Growth exponent of the steady-state run time between the two largest sizes (1 = linear): ${growth}.`,
    "",
    ...plotLines(plots, "hooks-"),
  ];
}

/** What limits each missed bar and what would fix it. */
function missedSection(bars: readonly BarRow[]): string[] {
  const missed = bars.filter(b => b.verdict === "missed");
  if (missed.length === 0) return [];
  return [
    "### Missed bars",
    "",
    ...missed.flatMap(b => [
      `- **${b.bar}.** Limited by: ${b.note ?? "see the section below"}. Would be fixed by: ${b.fix ?? "-"}.`,
    ]),
    "",
  ];
}

/** The whole REPORT.md. */
export function reportMarkdown(
  results: AllResults,
  bars: readonly BarRow[],
  plots: readonly Plot[],
): string {
  const quick = [results.capacity, results.hooks, results.cluster].some(p => p?.quick === true);
  const lines = [
    "# Benchmark report",
    "",
    "Generated by `npm run bench` (sources in `bench/`, raw results in `bench/results/`); do not edit by hand. " +
      "Regenerate the whole report with `npm run bench`, one part with `npm run bench -- capacity|hooks|cluster`, " +
      "or only this file from the stored results with `npm run bench -- report`." +
      (quick
        ? " **Some parts were run in quick mode (a smoke run): their numbers are not the reference ones.**"
        : ""),
    "",
    ...machineSection(results),
    "## Bars",
    "",
    ...barsTable(bars),
    "",
    ...missedSection(bars),
    ...(results.capacity ? capacitySection(results.capacity, plots) : []),
    ...(results.cluster ? clusterSection(results.cluster, plots) : []),
    ...(results.hooks ? hooksSection(results.hooks, plots) : []),
  ];
  return `${lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()}\n`;
}
