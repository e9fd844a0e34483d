// Measured numbers of the e2e scenarios (switchover time, fencing time, ...), printed and merged
// into build/e2e-report.json, one entry per measurement, so a CI run leaves them as an artefact.
// Scenarios never assert on wall-clock durations; they record them here.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { withLock } from "../../testenv/lock.js";
import { repoRoot } from "../layout.js";

/** One measurement. */
export interface Measurement {
  /** Stable key, e.g. `postgres.writeSwitchoverMs`. */
  readonly name: string;
  readonly value: number;
  readonly unit: "ms" | "s" | "count";
  /** What was measured, in a sentence. */
  readonly description: string;
}

/** The report file. */
export function reportPath(): string {
  return join(repoRoot(), "build", "e2e-report.json");
}

/** Prints a measurement and merges it into build/e2e-report.json. */
export async function recordMeasurement(m: Measurement): Promise<void> {
  process.stdout.write(`[e2e measurement] ${m.name} = ${m.value} ${m.unit}: ${m.description}\n`);
  const file = reportPath();
  await mkdir(join(repoRoot(), "build"), { recursive: true });
  await withLock(`${file}.lock`, 30_000, async () => {
    let report: { measurements: Record<string, Measurement & { at: string }> } = {
      measurements: {},
    };
    try {
      report = JSON.parse(await readFile(file, "utf8")) as typeof report;
    } catch {
      // first measurement of the run
    }
    report.measurements[m.name] = { ...m, at: new Date().toISOString() };
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  });
}
