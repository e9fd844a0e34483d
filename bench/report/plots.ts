// The report's plots, built from the stored results: capacity curves (CPU per probe, memory,
// lateness against the number of targets, agent and HAProxy), propagation and end-to-end CDFs with
// the bar and the theoretical floor, and hook run time and memory against the number of SWHs with
// a linear reference. Each is rendered to SVG (chart.ts) and converted to PNG with rsvg-convert.

import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { runLabel } from "../capacity/plan.js";
import type { CapacityMeasurement, CapacityResults } from "../capacity/result.js";
import type { ClusterResults } from "../cluster/result.js";
import type { HookResults } from "../hooks/result.js";
import { agentRuns, type AllResults } from "./bars.js";
import { cdfPoints, renderChart, type ChartSpec, type Series } from "./chart.js";

const run = promisify(execFile);

/** A plot: its file name (PNG, in bench/plots/) and what it shows. */
export interface Plot {
  readonly file: string;
  readonly caption: string;
  readonly spec: ChartSpec;
}

/** Series name: "agent TCP", "HAProxy HTTP", "agent HTTP (no reuse)". */
function label(r: CapacityMeasurement): string {
  const [who = "", ...variant] = runLabel(r).split(" ");
  return [who, r.mode, ...variant].join(" ");
}

function capacitySeries(c: CapacityResults, y: (r: CapacityMeasurement) => number): Series[] {
  const groups = new Map<string, CapacityMeasurement[]>();
  // TCP and HTTP, measured at every size; HTTPS (one size) and PostgreSQL are in their tables.
  for (const r of c.runs.filter(r => r.mode === "TCP" || r.mode === "HTTP")) {
    const list = groups.get(label(r)) ?? [];
    list.push(r);
    groups.set(label(r), list);
  }
  return [...groups].map(([name, runs]) => ({
    name,
    points: runs.sort((a, b) => a.targets - b.targets).map(r => [r.targets, y(r)] as const),
    markersOnly: runs.length === 1,
  }));
}

function capacityPlots(c: CapacityResults): Plot[] {
  const agents = (mode: "TCP" | "HTTP"): CapacityMeasurement[] =>
    agentRuns(c, mode)
      .filter(r => r.lateness !== undefined)
      .reverse();
  // Lateness has millisecond resolution: 0 ms is drawn at 0.5 ms on the log axis.
  const late = (r: CapacityMeasurement, p: "p50" | "p99"): number =>
    Math.max(0.5, r.lateness?.[p] ?? NaN);
  const lateness: Series[] = (["TCP", "HTTP"] as const).flatMap((mode, colour) => [
    {
      name: `agent ${mode} p99`,
      points: agents(mode).map(r => [r.targets, late(r, "p99")] as const),
      colour,
    },
    {
      name: `agent ${mode} p50`,
      points: agents(mode).map(r => [r.targets, late(r, "p50")] as const),
      colour,
      dashed: true,
    },
  ]);
  return [
    {
      file: "capacity-cpu.png",
      caption:
        "CPU seconds per 1,000 probes (lower is better), agent and HAProxy on the same targets",
      spec: {
        title: "CPU per 1,000 probes vs targets (1 s period)",
        xLabel: "targets",
        yLabel: "CPU seconds per 1,000 probes",
        xLog: true,
        yLog: true,
        series: capacitySeries(c, r => r.cpuSecondsPer1000),
      },
    },
    {
      file: "capacity-rss.png",
      caption: "Peak resident memory of the measured process against the number of targets",
      spec: {
        title: "Peak RSS vs targets",
        xLabel: "targets",
        yLabel: "peak RSS (MiB)",
        xLog: true,
        yFromZero: true,
        series: capacitySeries(c, r => r.peakRssMiB),
        hLines: [{ value: 150, label: "bar: 150 MiB at 10,000 targets" }],
      },
    },
    {
      file: "capacity-lateness.png",
      caption:
        "How late probes start against their planned slot (actual − planned start; millisecond resolution, 0 drawn at 0.5 ms)",
      spec: {
        title: "Schedule lateness vs targets",
        xLabel: "targets",
        yLabel: "lateness (ms, log)",
        xLog: true,
        yLog: true,
        series: lateness,
      },
    },
  ];
}

function clusterPlots(k: ClusterResults): Plot[] {
  const { samples, endToEnd } = k;
  return [
    {
      file: "propagation-cdf.png",
      caption: "Threshold crossing in the agent → EndpointSlice change seen by a watch (CDF)",
      spec: {
        title: `Propagation at ${k.workload.targets.toLocaleString("en-US")} targets`,
        xLabel: "ms from threshold crossing to slice change in the watch",
        yLabel: "fraction of transitions",
        yFromZero: true,
        series: [
          {
            name: "endpoint → not ready",
            points: cdfPoints(samples.propagationDown),
            noMarkers: true,
          },
          { name: "endpoint → ready", points: cdfPoints(samples.propagationUp), noMarkers: true },
        ],
        vLines: [{ value: 100, label: "bar p99 100 ms" }],
      },
    },
    {
      file: "end-to-end-cdf.png",
      caption:
        "Backend fails (recovers) → endpoint not ready (ready) in the slice watch, against the floor",
      spec: {
        title: "End to end: backend change → EndpointSlice",
        xLabel: "ms from the backend's listener closing (opening) to the slice change",
        yLabel: "fraction of transitions",
        yFromZero: true,
        series: [
          {
            name: "backend down → not ready",
            points: cdfPoints(samples.endToEndDown),
            noMarkers: true,
          },
          { name: "backend up → ready", points: cdfPoints(samples.endToEndUp), noMarkers: true },
        ],
        vLines: [
          { value: endToEnd.floorDownMs, label: "period × failureThreshold" },
          { value: endToEnd.floorUpMs, label: "period × successThreshold" },
        ],
      },
    },
  ];
}

function hookPlots(h: HookResults): Plot[] {
  const steady = h.runs.filter(r => r.state === "steady");
  const hooks = [...new Set(steady.map(r => r.hook))];
  const series = (y: (r: (typeof steady)[number]) => number): Series[] =>
    hooks.map(hook => ({
      name: hook,
      points: steady
        .filter(r => r.hook === hook)
        .sort((a, b) => a.swhs - b.swhs)
        .map(r => [r.swhs, y(r)] as const),
    }));
  const slowest = steady.filter(r => r.swhs === 1_000).sort((a, b) => b.wallMs - a.wallMs)[0];
  const sizes = [...new Set(steady.map(r => r.swhs))].sort((a, b) => a - b);
  const reference: Series[] =
    slowest === undefined
      ? []
      : [
          {
            name: `linear through ${slowest.hook} at 1,000`,
            points: sizes.map(s => [s, (slowest.wallMs * s) / 1_000] as const),
            dashed: true,
            noMarkers: true,
          },
        ];
  return [
    {
      file: "hooks-wall.png",
      caption:
        "Wall time of one `hook run` (steady state, median) against the number of SWHs (pods = 10 × SWHs)",
      spec: {
        title: "Hook run wall time vs SWHs",
        xLabel: "SWHs (pods = 10 × SWHs)",
        yLabel: "wall time (ms)",
        xLog: true,
        yLog: true,
        series: [...series(r => r.wallMs), ...reference],
        hLines: [{ value: 300, label: "bar: 300 ms at 1,000 SWHs" }],
      },
    },
    {
      file: "hooks-rss.png",
      caption: "Peak RSS of one `hook run` (steady state) against the number of SWHs",
      spec: {
        title: "Hook run peak RSS vs SWHs",
        xLabel: "SWHs (pods = 10 × SWHs)",
        yLabel: "peak RSS (MiB)",
        xLog: true,
        yFromZero: true,
        series: series(r => r.peakRssMiB),
      },
    },
  ];
}

/** The plots the stored results allow. */
export function plotsFor(results: AllResults): Plot[] {
  return [
    ...(results.capacity ? capacityPlots(results.capacity) : []),
    // Results stored before raw samples were kept have none to plot.
    ...(results.cluster && (results.cluster.samples as unknown) !== undefined
      ? clusterPlots(results.cluster)
      : []),
    ...(results.hooks ? hookPlots(results.hooks) : []),
  ];
}

/** Renders every plot to `dir` as PNG (through a temporary SVG). */
export async function writePlots(plots: readonly Plot[], dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const scratch = await mkdtemp(join(tmpdir(), "swh-bench-plots-"));
  try {
    for (const plot of plots) {
      const svg = join(scratch, plot.file.replace(/\.png$/, ".svg"));
      await writeFile(svg, renderChart(plot.spec));
      try {
        await run("rsvg-convert", ["-o", join(dir, plot.file), svg]);
      } catch (error) {
        throw new Error(`rsvg-convert failed for ${plot.file}`, { cause: error });
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
