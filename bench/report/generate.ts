// Regenerates bench/REPORT.md and bench/plots/*.png from bench/results/*.json and returns the bars
// table for the console. Runs after every measuring run and alone as `npm run bench -- report`.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CapacityResults } from "../capacity/result.js";
import type { ClusterResults } from "../cluster/result.js";
import type { HookResults } from "../hooks/result.js";
import { BENCH_DIR, PLOTS_DIR, RESULTS_DIR } from "../lib/paths.js";
import { ensureTools } from "../lib/setup.js";
import { readJson } from "../lib/util.js";
import { judgeBars, type AllResults, type BarRow } from "./bars.js";
import { reportMarkdown } from "./markdown.js";
import { plotsFor, writePlots } from "./plots.js";

/** Reads every stored result. */
export async function loadResults(): Promise<AllResults> {
  const capacity = await readJson<CapacityResults>(join(RESULTS_DIR, "capacity.json"));
  const hooks = await readJson<HookResults>(join(RESULTS_DIR, "hooks.json"));
  const cluster = await readJson<ClusterResults>(join(RESULTS_DIR, "cluster.json"));
  return {
    ...(capacity ? { capacity } : {}),
    ...(hooks ? { hooks } : {}),
    ...(cluster ? { cluster } : {}),
  };
}

/** Writes REPORT.md and the plots; returns the judged bars. */
export async function generateReport(log: (line: string) => void): Promise<BarRow[]> {
  ensureTools(["rsvg", "fonts"], log);
  const results = await loadResults();
  const bars = judgeBars(results);
  const plots = plotsFor(results);
  await writePlots(plots, PLOTS_DIR);
  await writeFile(join(BENCH_DIR, "REPORT.md"), reportMarkdown(results, bars, plots));
  log(`report: bench/REPORT.md and ${plots.length} plots in bench/plots/`);
  return bars;
}

/** The bars as a plain-text table for the terminal. */
export function consoleTable(bars: readonly BarRow[]): string {
  const rows = bars.map(b => [b.verdict.toUpperCase(), b.bar, b.measured]);
  const width = [0, 1].map(i => Math.max(...rows.map(r => (r[i] ?? "").length)));
  return rows
    .map(
      r =>
        `${(r[0] ?? "").padEnd(width[0] ?? 0)}  ${(r[1] ?? "").padEnd(width[1] ?? 0)}  ${r[2] ?? ""}`,
    )
    .join("\n");
}
