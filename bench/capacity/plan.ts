// The capacity benchmark's runs, as data: which implementation probes how many targets of which
// kind, for how long. Full mode measures 100, 1,000 and 10,000 TCP and HTTP targets for the agent
// and for HAProxy on the same targets, the agent's HTTP prober once more without connection reuse
// (HAProxy's way) and with a smaller V8 young generation at 10,000 targets (a memory tuning,
// measured so its cost is known), and PostgreSQL at 100 and 1,000 targets; quick mode is a smoke
// run of the same shape at small sizes.

/** One measured run. */
export interface CapacityRun {
  readonly impl: "agent" | "haproxy";
  readonly mode: "TCP" | "HTTP" | "PostgreSQL";
  readonly targets: number;
  /** HTTP connection reuse by the agent (HAProxy never reuses check connections). */
  readonly keepAlive: boolean;
  /** Extra Node.js flags of the agent driver (a tuning under evaluation; none = as shipped). */
  readonly nodeFlags: readonly string[];
}

/**
 * V8's young generation capped at 2 MiB per semi-space (default 16 MiB on 64-bit): the probing
 * path's garbage is short-lived, so a smaller nursery trades a little CPU for a lot of RSS.
 */
export const SMALL_NURSERY = ["--max-semi-space-size=2"] as const;

/** Timing shared by every run. */
export interface CapacityTiming {
  readonly periodMs: number;
  readonly timeoutMs: number;
  /** Before measuring: the first period (first probes are jittered over it) plus settling. */
  readonly warmupMs: number;
  readonly measureMs: number;
}

/** Runs sharing one set of targets (one target process), in order. */
export interface TargetGroup {
  readonly mode: "TCP" | "HTTP" | "PostgreSQL";
  readonly targets: number;
  readonly runs: readonly CapacityRun[];
}

/** Timing for a mode. */
export function capacityTiming(quick: boolean): CapacityTiming {
  return { periodMs: 1_000, timeoutMs: 1_000, warmupMs: 3_000, measureMs: quick ? 5_000 : 20_000 };
}

/** Extra runs of a group beyond the agent as shipped and HAProxy. */
interface Variants {
  /** The agent's HTTP prober without connection reuse (HAProxy's way). */
  readonly withoutReuse?: boolean;
  /** The agent with SMALL_NURSERY. */
  readonly smallNursery?: boolean;
}

function group(mode: "TCP" | "HTTP", targets: number, variants: Variants = {}): TargetGroup {
  const runs: CapacityRun[] = [
    { impl: "agent", mode, targets, keepAlive: true, nodeFlags: [] },
    { impl: "haproxy", mode, targets, keepAlive: false, nodeFlags: [] },
  ];
  if (variants.withoutReuse)
    runs.push({ impl: "agent", mode, targets, keepAlive: false, nodeFlags: [] });
  if (variants.smallNursery) {
    runs.push({ impl: "agent", mode, targets, keepAlive: true, nodeFlags: SMALL_NURSERY });
  }
  return { mode, targets, runs };
}

function postgres(targets: number): TargetGroup {
  return {
    mode: "PostgreSQL",
    targets,
    runs: [{ impl: "agent", mode: "PostgreSQL", targets, keepAlive: false, nodeFlags: [] }],
  };
}

/** The target groups of a mode, smallest first. */
export function capacityPlan(quick: boolean): TargetGroup[] {
  if (quick) {
    return [
      group("TCP", 100),
      group("TCP", 1_000),
      group("HTTP", 1_000, { withoutReuse: true, smallNursery: true }),
      postgres(100),
    ];
  }
  return [
    group("TCP", 100),
    group("TCP", 1_000),
    group("TCP", 10_000, { smallNursery: true }),
    group("HTTP", 100),
    group("HTTP", 1_000),
    group("HTTP", 10_000, { withoutReuse: true, smallNursery: true }),
    postgres(100),
    postgres(1_000),
  ];
}

/** Who ran a measurement: HAProxy, or the agent with its variant. */
export function runLabel(m: CapacityRun): string {
  if (m.impl === "haproxy") return "HAProxy";
  const variants = [
    ...(m.mode === "HTTP" && !m.keepAlive ? ["no reuse"] : []),
    ...(m.nodeFlags ?? []),
  ];
  return variants.length === 0 ? "agent" : `agent (${variants.join(", ")})`;
}
