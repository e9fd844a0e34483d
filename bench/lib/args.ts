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
  /**
   * Capacity target groups to measure (`HTTP:10000`), all when empty. A selection is a
   * diagnostic run: its results go to build/bench/, never to bench/results/ or the report.
   */
  readonly only: readonly GroupSelector[];
  readonly help: boolean;
}

/** One capacity target group, by mode and number of targets. */
export interface GroupSelector {
  readonly mode: string;
  readonly targets: number;
}

/** The --help text. */
export const USAGE = `Usage: npm run bench -- [--quick] [part ...] [options]

Parts (default: all, then the report):
  capacity   probes/s, CPU per 1,000 probes, RSS and lateness of the agent's probers at 100,
             1,000 and 10,000 TCP/HTTP targets, SMTP conversations at 1,000 and 10,000, side
             by side with HAProxy; gRPC health at 1,000 and 10,000; PostgreSQL probes
  hooks      one hook run's wall time and peak RSS at 100/1,000/10,000 SWHs
  cluster    propagation latency and API writes (audit log) in the cluster in a box
  report     only regenerate bench/REPORT.md and bench/plots/ from bench/results/

Options:
  --quick            smoke run: small sizes, 5 s windows, 1 min steady state
  --steady=SECONDS   steady-state window of the write count (default 600; quick 60)
  --keep-cluster     leave the cluster in a box running after the cluster part
  --only=MODE:N,...  capacity: only these target groups (e.g. --only=HTTP:10000,TCP:10000);
                     a diagnostic run: results go to build/bench/, the report is left alone
  --help             this text
`;

/** Parses `argv` (without node and script); throws on anything unknown. */
export function parseArgs(argv: readonly string[]): BenchArgs {
  let quick = false;
  let keepCluster = false;
  let help = false;
  let reportOnly = false;
  let steady: number | undefined;
  let only: GroupSelector[] = [];
  const parts: Part[] = [];
  for (const arg of argv) {
    if (arg === "--quick") quick = true;
    else if (arg === "--keep-cluster") keepCluster = true;
    else if (arg === "--help" || arg === "-h") help = true;
    else if (arg === "report") reportOnly = true;
    else if (arg.startsWith("--steady=")) steady = positiveNumber(arg.slice("--steady=".length));
    else if (arg.startsWith("--only=")) only = parseSelectors(arg.slice("--only=".length));
    else if ((PARTS as readonly string[]).includes(arg)) parts.push(arg as Part);
    else throw new Error(`unknown argument ${JSON.stringify(arg)}\n\n${USAGE}`);
  }
  if (reportOnly && parts.length > 0) throw new Error("`report` runs alone (it measures nothing)");
  if (only.length > 0 && (reportOnly || parts.some(p => p !== "capacity"))) {
    throw new Error("--only selects capacity target groups: use it with the capacity part alone");
  }
  return {
    quick,
    parts: reportOnly ? [] : selectedParts(parts, only),
    reportOnly,
    steadySeconds: steady ?? (quick ? 60 : 600),
    keepCluster,
    only,
    help,
  };
}

function selectedParts(parts: readonly Part[], only: readonly GroupSelector[]): readonly Part[] {
  if (only.length > 0) return ["capacity"];
  return parts.length > 0 ? PARTS.filter(p => parts.includes(p)) : PARTS;
}

function parseSelectors(text: string): GroupSelector[] {
  return text.split(",").map(item => {
    const match = /^(TCP|HTTPS?|SMTP|GRPC|PostgreSQL):(\d+)$/.exec(item.trim());
    if (match === null) {
      throw new Error(
        `--only wants MODE:TARGETS[,...] (e.g. HTTP:10000), got ${JSON.stringify(item)}`,
      );
    }
    return { mode: match[1] ?? "", targets: Number(match[2]) };
  });
}

function positiveNumber(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`--steady wants a positive number of seconds, got ${JSON.stringify(text)}`);
  }
  return value;
}
