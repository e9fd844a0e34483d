// Command line of `npm run bench`: which parts to run and how long. Pure, so the help text and
// the parsing stay in one place.

/** A part of the suite that measures something. */
export type Part = "capacity" | "cluster" | "hooks";

/** Every measuring part, in the order a full run takes them. */
export const PARTS: readonly Part[] = ["capacity", "hooks", "cluster"];

/** Parsed command line. */
export interface BenchArgs {
  /** Short smoke run: small sizes, short windows. */
  readonly quick: boolean;
  /** Parts to measure (empty with `reportOnly`). */
  readonly parts: readonly Part[];
  /** Only regenerate REPORT.md and the plots from bench/results/. */
  readonly reportOnly: boolean;
  /** Steady-state window of the write count, seconds (default 600, quick 60). */
  readonly steadySeconds: number;
  /** Leave the cluster in a box running after the cluster part (for inspection). */
  readonly keepCluster: boolean;
  readonly help: boolean;
}

/** The --help text. */
export const USAGE = `Usage: npm run bench -- [--quick] [part ...] [options]

Parts (default: all, then the report):
  capacity   probes/s, CPU per 1,000 probes, RSS and lateness of the agent's probers at 100,
             1,000 and 10,000 TCP/HTTP targets, side by side with HAProxy; PostgreSQL probes
  hooks      one hook run's wall time and peak RSS at 100/1,000/10,000 SWHs
  cluster    propagation latency and API writes (audit log) in the cluster in a box
  report     only regenerate bench/REPORT.md and bench/plots/ from bench/results/

Options:
  --quick            smoke run: small sizes, 5 s windows, 1 min steady state
  --steady=SECONDS   steady-state window of the write count (default 600; quick 60)
  --keep-cluster     leave the cluster in a box running after the cluster part
  --help             this text
`;

/** Parses `argv` (without node and script); throws on anything unknown. */
export function parseArgs(argv: readonly string[]): BenchArgs {
  let quick = false;
  let keepCluster = false;
  let help = false;
  let reportOnly = false;
  let steady: number | undefined;
  const parts: Part[] = [];
  for (const arg of argv) {
    if (arg === "--quick") quick = true;
    else if (arg === "--keep-cluster") keepCluster = true;
    else if (arg === "--help" || arg === "-h") help = true;
    else if (arg === "report") reportOnly = true;
    else if (arg.startsWith("--steady=")) steady = positiveNumber(arg.slice("--steady=".length));
    else if ((PARTS as readonly string[]).includes(arg)) parts.push(arg as Part);
    else throw new Error(`unknown argument ${JSON.stringify(arg)}\n\n${USAGE}`);
  }
  if (reportOnly && parts.length > 0) throw new Error("`report` runs alone (it measures nothing)");
  return {
    quick,
    parts: reportOnly ? [] : parts.length > 0 ? PARTS.filter(p => parts.includes(p)) : PARTS,
    reportOnly,
    steadySeconds: steady ?? (quick ? 60 : 600),
    keepCluster,
    help,
  };
}

function positiveNumber(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`--steady wants a positive number of seconds, got ${JSON.stringify(text)}`);
  }
  return value;
}
