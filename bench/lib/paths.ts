// Where the benchmark suite finds things: the repository, its own bundles (build/bench, written
// by bench/launch.mjs), its results and plots, and the pinned Node 24 binary it runs children on.

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (this file is bench/lib/paths.ts; the launcher keeps import.meta.url so). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The suite's sources, REPORT.md, results/ and plots/. */
export const BENCH_DIR = join(REPO_ROOT, "bench");
/** Raw results, one JSON file per part; REPORT.md is generated from them. */
export const RESULTS_DIR = join(BENCH_DIR, "results");
/** PNG plots referenced by REPORT.md. */
export const PLOTS_DIR = join(BENCH_DIR, "plots");
/** The bundles of the suite's child processes. */
export const BUNDLE_DIR = join(REPO_ROOT, "build", "bench");
/** Node 24 from the `node` devDependency. */
export const NODE = join(REPO_ROOT, "node_modules", "node", "bin", "node");

/** Path of bundle `name` (targets, driver, cluster-agent). */
export function bundle(name: string): string {
  return join(BUNDLE_DIR, `${name}.mjs`);
}
