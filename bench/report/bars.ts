// The performance bars of BRIEF §7, judged from the stored results: one row per bar with what was
// measured, the verdict, and - where a bar is missed - what limits it, in numbers taken from the
// same results. Pure: the report and the console table both render these rows.

import type { CapacityMeasurement, CapacityResults } from "../capacity/result.js";
import { writes } from "../cluster/audit.js";
import type { ClusterResults } from "../cluster/result.js";
import type { HookMeasurement, HookResults } from "../hooks/result.js";
import { growthExponent } from "../lib/stats.js";

/** Every stored result (a part may be missing). */
export interface AllResults {
  readonly capacity?: CapacityResults;
  readonly hooks?: HookResults;
  readonly cluster?: ClusterResults;
}

/** The verdict of a bar. */
export type Verdict = "met" | "missed" | "not measured" | "reference";

/** One bar. */
export interface BarRow {
  readonly bar: string;
  readonly measured: string;
  readonly verdict: Verdict;
  /** What limits it, in measured numbers, when missed. */
  readonly note?: string;
  /** What would fix it, when missed. */
  readonly fix?: string;
}

/** What would fix each bar, shown only when it is missed (the limits come from the numbers). */
const FIXES: Record<string, string> = {
  throughput:
    "profile the driver (node --cpu-prof) at 10,000 targets; the per-probe path is one timer, one connect " +
    "and one callback, so a miss points at a regression there or at a saturated core (see lateness)",
  memory:
    "above the Node.js baseline, RSS is mostly the V8 heap that V8 chooses to keep (reserved against in use in " +
    "the capacity table): the image already ships --max-semi-space-size=2 --optimize-for-size (the table " +
    "shows them against V8's defaults, with their CPU cost); beyond them, allocate less per probe that lives a " +
    "whole period (the scheduler's next-probe timer and threshold state are promoted to the old generation on " +
    "every probe)",
  propagation:
    "lower the agent's write coalescing window (--write-coalesce-ms, 20 ms by default) and check the API " +
    "server's latency for slice updates in the audit log",
  zeroWrites: "the steady-state table names the component and resource that wrote",
  oneWrite:
    "a slice written more than once per change points at the agent's planner or at a writer fight",
  hookTime:
    "a run is process start (~25 ms for the single executable), JSON parsing of the binding context, the " +
    "hook's work and GC: keep the jqFilters narrow (the slice filter dominates the context size) and check " +
    "the CPU profile (node --cpu-prof build/bench/hooks/hooks.cjs hook run N)",
  linear: "look for a per-SWH scan of all slices or all Services in the hook that grows fastest",
};

/** Resources whose writes the "zero writes while nothing changes" bar counts. */
export const CHANGE_RESOURCES = [
  "endpointslices",
  "servicewithhealthchecks",
  "servicewithhealthchecks/status",
  "events",
  "services",
  "roles",
  "rolebindings",
];

const n0 = (v: number): string => Math.round(v).toLocaleString("en-US");

/** The agent's runs of a mode as shipped (with its image's Node.js flags), largest first. */
export function agentRuns(
  c: CapacityResults,
  mode: CapacityMeasurement["mode"],
): CapacityMeasurement[] {
  return c.runs
    .filter(r => r.impl === "agent" && r.mode === mode && r.shipped)
    .sort((a, b) => b.targets - a.targets);
}

function throughputBar(c: CapacityResults | undefined, mode: "TCP" | "HTTP", bar: number): BarRow {
  const title = `${mode} probes ≥ ${n0(bar)}/s on one core`;
  const run = c === undefined ? undefined : agentRuns(c, mode)[0];
  if (run === undefined) return { bar: title, measured: "-", verdict: "not measured" };
  const sustained = run.achievedPerSec >= 0.99 * run.demandedPerSec;
  const perCore = run.probesPerCpuSecond;
  const projected = run.demandedPerSec < bar ? ` (projected from ${n0(run.targets)} targets)` : "";
  const measured =
    `${n0(run.achievedPerSec)}/s achieved at ${n0(run.targets)} targets using ${run.cpuCores.toFixed(2)} core; ` +
    `${n0(perCore)} probes per CPU-second${projected}`;
  const met = sustained && perCore >= bar;
  return {
    bar: title,
    measured,
    verdict: met ? "met" : "missed",
    ...(met ? {} : { note: throughputLimit(run) }),
  };
}

function throughputLimit(run: CapacityMeasurement): string {
  if (run.achievedPerSec < 0.99 * run.demandedPerSec) {
    return `the demand (${n0(run.demandedPerSec)}/s) was not sustained: ${run.failures ?? 0} failures, lateness p99 ${Math.round(run.lateness?.p99 ?? NaN)} ms`;
  }
  return `CPU per probe is ${(run.cpuSecondsPer1000 * 1000).toFixed(0)} µs: one core runs ${n0(run.probesPerCpuSecond)} probes/s`;
}

function memoryBar(c: CapacityResults | undefined): BarRow {
  const title = "Agent RSS ≤ 150 MiB at 10,000 targets";
  const runs =
    c === undefined
      ? []
      : [...agentRuns(c, "TCP"), ...agentRuns(c, "HTTP")].filter(r => r.targets === 10_000);
  if (runs.length === 0) return { bar: title, measured: "-", verdict: "not measured" };
  const worst = runs.reduce((a, b) => (b.peakRssMiB > a.peakRssMiB ? b : a));
  const measured = runs.map(r => `${r.mode} ${Math.round(r.peakRssMiB)} MiB peak`).join(", ");
  const met = worst.peakRssMiB <= 150;
  return {
    bar: title,
    measured,
    verdict: met ? "met" : "missed",
    ...(met ? {} : { note: memoryLimit(c, worst) }),
  };
}

function memoryLimit(c: CapacityResults | undefined, worst: CapacityMeasurement): string {
  const small = c === undefined ? undefined : agentRuns(c, worst.mode).find(r => r.targets === 100);
  if (small === undefined)
    return "no 100-target run to separate the baseline from the per-target cost";
  const perTargetKiB =
    ((worst.peakRssMiB - small.peakRssMiB) * 1024) / (worst.targets - small.targets);
  return (
    `${Math.round(small.peakRssMiB)} MiB at 100 targets (Node.js and V8 baseline) + ` +
    `${perTargetKiB.toFixed(1)} KiB per target (${worst.mode})${tunedText(c, worst.targets)}`
  );
}

/** What the Node.js flag variants at `targets` measured, against the shipped agent, per variant. */
function tunedText(c: CapacityResults | undefined, targets: number): string {
  const tuned = (c?.runs ?? []).filter(
    r => r.impl === "agent" && r.targets === targets && !r.shipped && r.tlsResumption !== false,
  );
  if (c === undefined || tuned.length === 0) return "";
  const byFlags = new Map<string, string[]>();
  for (const r of tuned) {
    const shipped = agentRuns(c, r.mode).find(s => s.targets === r.targets);
    const cpu =
      shipped === undefined
        ? ""
        : ` at ${(r.cpuSecondsPer1000 / shipped.cpuSecondsPer1000).toFixed(2)}× the CPU`;
    const flags = r.nodeFlags.join(" ");
    const parts = byFlags.get(flags) ?? [];
    parts.push(`${r.mode} ${Math.round(r.peakRssMiB)} MiB${cpu}`);
    byFlags.set(flags, parts);
  }
  return [...byFlags]
    .map(
      ([flags, parts]) => `; with ${flags === "" ? "V8's defaults" : flags}: ${parts.join(", ")}`,
    )
    .join("");
}

function haproxyRow(c: CapacityResults | undefined): BarRow {
  const title = "Side by side with HAProxy's active checks";
  if (c === undefined) return { bar: title, measured: "-", verdict: "not measured" };
  const parts: string[] = [];
  for (const mode of ["TCP", "HTTP", "HTTPS"] as const) {
    const agent = agentRuns(c, mode)[0];
    const haproxy = c.runs.find(
      r => r.impl === "haproxy" && r.mode === mode && r.targets === agent?.targets,
    );
    if (agent === undefined || haproxy === undefined) continue;
    const ratio = agent.cpuSecondsPer1000 / haproxy.cpuSecondsPer1000;
    parts.push(`${mode} at ${n0(agent.targets)}: agent/HAProxy CPU per check ${ratio.toFixed(1)}×`);
  }
  return {
    bar: title,
    measured: parts.join("; ") || "-",
    verdict: parts.length > 0 ? "reference" : "not measured",
  };
}

function propagationBar(k: ClusterResults | undefined): BarRow {
  const title = "Threshold crossing → EndpointSlice ≤ 100 ms p99 at 1,000 targets";
  if (k === undefined || k.propagation.all.n === 0)
    return { bar: title, measured: "-", verdict: "not measured" };
  const p = k.propagation.all;
  const measured = `p50 ${Math.round(p.p50)} ms, p99 ${Math.round(p.p99)} ms (n=${p.n}, ${k.workload.targets} targets)`;
  const met = p.p99 <= 100;
  return {
    bar: title,
    measured,
    verdict: met ? "met" : "missed",
    ...(met
      ? {}
      : {
          note: `max ${Math.round(p.max)} ms; the agent coalesces writes for 20 ms, then one API round trip and the watch`,
        }),
  };
}

function zeroWritesBar(k: ClusterResults | undefined): BarRow {
  const title = "Zero API writes (slices, status, events) while nothing changes";
  if (k === undefined) return { bar: title, measured: "-", verdict: "not measured" };
  const changeWrites = writes(k.steady.rows, CHANGE_RESOURCES);
  const leases = k.steady.writesByResource.leases ?? 0;
  const minutes = (k.steady.seconds / 60).toFixed(1);
  const measured = `${changeWrites} writes in ${minutes} min (plus ${leases} Lease renewals: heartbeats by design)`;
  return {
    bar: title,
    measured,
    verdict: changeWrites === 0 ? "met" : "missed",
    ...(changeWrites === 0 ? {} : { note: "see the steady-state table for who wrote what" }),
  };
}

function oneWriteBar(k: ClusterResults | undefined): BarRow {
  const title = "One write per slice per change";
  if (k === undefined || k.churn.endpointTransitions === 0)
    return { bar: title, measured: "-", verdict: "not measured" };
  const t = k.churn.endpointTransitions;
  const slices = k.churn.writesByResource.endpointslices ?? 0;
  const status = k.churn.writesByResource["servicewithhealthchecks/status"] ?? 0;
  const measured =
    `${slices} slice writes for ${t} endpoint transitions (${(slices / t).toFixed(2)} per change); ` +
    `status ${(status / t).toFixed(2)}, events ${((k.churn.writesByResource.events ?? 0) / t).toFixed(2)} per change`;
  return { bar: title, measured, verdict: slices <= t ? "met" : "missed" };
}

function hookRuns(h: HookResults, swhs: number): HookMeasurement[] {
  return h.runs.filter(r => r.swhs === swhs && r.state !== "unconverged");
}

function hookTimeBar(h: HookResults | undefined): BarRow {
  const title = "A hook run ≤ 300 ms with 1,000 SWHs and 10,000 pods";
  const runs = h === undefined ? [] : hookRuns(h, 1_000);
  if (runs.length === 0) return { bar: title, measured: "-", verdict: "not measured" };
  const worst = runs.reduce((a, b) => (b.wallMs > a.wallMs ? b : a));
  const steady = runs.filter(r => r.state === "steady").reduce((m, r) => Math.max(m, r.wallMs), 0);
  const measured = `slowest: ${worst.hook} ${Math.round(worst.wallMs)} ms (${worst.state} run); slowest steady-state run ${Math.round(steady)} ms`;
  const met = worst.wallMs <= 300;
  return {
    bar: title,
    measured,
    verdict: met ? "met" : "missed",
    ...(met
      ? {}
      : {
          note: `${worst.hook}: context ${worst.contextMiB.toFixed(1)} MiB, peak RSS ${Math.round(worst.peakRssMiB)} MiB`,
        }),
  };
}

/** Growth exponent of `hook`'s steady-state wall time between its two largest sizes. */
export function hookGrowth(
  h: HookResults,
  hook: string,
): { exponent: number; from: number; to: number } | undefined {
  const points = h.runs
    .filter(r => r.hook === hook && r.state === "steady")
    .map(r => [r.swhs, r.wallMs] as const)
    .sort((a, b) => a[0] - b[0]);
  const top = points.slice(-2);
  if (top.length < 2) return undefined;
  return { exponent: growthExponent(top), from: top[0]?.[0] ?? 0, to: top[1]?.[0] ?? 0 };
}

function linearBar(h: HookResults | undefined): BarRow {
  const title = "Hook run time grows linearly";
  if (h === undefined) return { bar: title, measured: "-", verdict: "not measured" };
  const hooks = [...new Set(h.runs.map(r => r.hook))];
  const growth = hooks
    .map(hook => ({ hook, g: hookGrowth(h, hook) }))
    .filter(
      (x): x is { hook: string; g: NonNullable<ReturnType<typeof hookGrowth>> } =>
        x.g !== undefined,
    );
  if (growth.length === 0) return { bar: title, measured: "-", verdict: "not measured" };
  const worst = growth.reduce((a, b) => (b.g.exponent > a.g.exponent ? b : a));
  const measured =
    `growth exponent ${n0(worst.g.from)}→${n0(worst.g.to)} SWHs: ` +
    growth.map(x => `${x.hook} ${x.g.exponent.toFixed(2)}`).join(", ");
  const met = worst.g.exponent <= 1.15;
  return {
    bar: title,
    measured,
    verdict: met ? "met" : "missed",
    ...(met
      ? {}
      : {
          note: `${worst.hook} grows faster than linear (exponent ${worst.g.exponent.toFixed(2)}; 1 is linear)`,
        }),
  };
}

/** Every bar, in BRIEF order, with what would fix the missed ones. */
export function judgeBars(results: AllResults): BarRow[] {
  const { capacity, cluster, hooks } = results;
  const rows: Array<[BarRow, string | undefined]> = [
    [throughputBar(capacity, "TCP", 10_000), FIXES.throughput],
    [throughputBar(capacity, "HTTP", 5_000), FIXES.throughput],
    [memoryBar(capacity), FIXES.memory],
    [haproxyRow(capacity), undefined],
    [propagationBar(cluster), FIXES.propagation],
    [zeroWritesBar(cluster), FIXES.zeroWrites],
    [oneWriteBar(cluster), FIXES.oneWrite],
    [hookTimeBar(hooks), FIXES.hookTime],
    [linearBar(hooks), FIXES.linear],
  ];
  return rows.map(([row, fix]) =>
    row.verdict === "missed" && fix !== undefined ? { ...row, fix } : row,
  );
}
