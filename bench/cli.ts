// The benchmark suite's orchestrator (bundled to build/bench/cli.mjs by bench/launch.mjs, which
// `npm run bench` runs): measures the parts asked for, stores each part's raw results in
// bench/results/<part>.json, then regenerates bench/REPORT.md and the plots from every stored
// result and prints the table of bars. A benchmark never fails a build: the exit code is non-zero
// only when a part could not run at all.

import { join } from "node:path";
import { runCapacity } from "./capacity/run.js";
import { runCluster } from "./cluster/run.js";
import { runHooks } from "./hooks/run.js";
import { parseArgs, USAGE, type BenchArgs, type Part } from "./lib/args.js";
import { BUNDLE_DIR, RESULTS_DIR } from "./lib/paths.js";
import { consoleTable, generateReport } from "./report/generate.js";
import { writeJson } from "./lib/util.js";

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function runPart(part: Part, args: BenchArgs): Promise<unknown> {
  const { quick } = args;
  switch (part) {
    case "capacity":
      return runCapacity({ quick, log, only: args.only });
    case "hooks":
      return runHooks({ quick, log });
    case "cluster":
      return runCluster({
        quick,
        log,
        steadySeconds: args.steadySeconds,
        keepCluster: args.keepCluster,
      });
  }
}

/** Where a run's results go: bench/results/, or build/bench/ for a diagnostic (--only) run. */
function resultsDir(args: BenchArgs): string {
  return args.only.length > 0 ? BUNDLE_DIR : RESULTS_DIR;
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  // Keeps the event loop alive between awaits on unref()'d handles (PostgreSQL's watchdog).
  const keepAlive = setInterval(() => undefined, 60_000);
  let failed = 0;
  for (const part of args.parts) {
    log(`part ${part}${args.quick ? " (quick)" : ""}`);
    try {
      const result = await runPart(part, args);
      await writeJson(join(resultsDir(args), `${part}.json`), result);
    } catch (error) {
      failed += 1;
      log(
        `part ${part} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  }
  clearInterval(keepAlive);
  if (args.only.length > 0) {
    log(`diagnostic run: results in ${resultsDir(args)}, bench/REPORT.md left alone`);
    return failed === 0 ? 0 : 1;
  }
  const bars = await generateReport(log);
  process.stdout.write(`\n${consoleTable(bars)}\n`);
  return failed === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  code => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
