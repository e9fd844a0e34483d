// The capacity benchmark's runs, as data: which implementation probes how many targets of which
// kind, for how long. Full mode measures 100, 1,000 and 10,000 TCP and HTTP targets for the agent
// as shipped (with the Node.js flags of its image) and for HAProxy on the same targets; at 10,000
// targets the agent also runs with V8's defaults (what the image's memory flags buy, and what
// they cost in CPU) and, when the image does not set it, with `--optimize-for-size` added (a
// further memory tuning, measured so its cost is known). HTTPS runs at 1,000 targets, with and without TLS session resumption, SMTP
// conversations at 1,000 and 10,000, gRPC health at 1,000 and 10,000 (the agent alone), and PostgreSQL at 100 and 1,000 targets; quick mode is a smoke run of the same shape at small sizes.

/**
 * What a run probes: HTTPS is the HTTP prober with `scheme: HTTPS`; SMTP is the TCP prober with
 * the SMTP conversation of docs/EXAMPLES.md (greeting `220`, `EHLO`, `250`, `QUIT`), HAProxy
 * holding the same conversation with `tcp-check`; GRPC is the gRPC health prober (HAProxy has no
 * gRPC health check: the agent runs alone, beside its HTTP runs at the same sizes).
 */
export type CapacityMode = "TCP" | "HTTP" | "HTTPS" | "SMTP" | "GRPC" | "PostgreSQL";

/** One measured run. */
export interface CapacityRun {
  readonly impl: "agent" | "haproxy";
  readonly mode: CapacityMode;
  readonly targets: number;
  /** Node.js flags of the agent driver (HAProxy: none). */
  readonly nodeFlags: readonly string[];
  /** The agent as shipped: its image's Node.js flags and the probers' default options. */
  readonly shipped: boolean;
  /** HTTPS: whether the agent resumes TLS sessions (its default) or does full handshakes. */
  readonly tlsResumption?: boolean;
}

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
  readonly mode: CapacityMode;
  readonly targets: number;
  readonly runs: readonly CapacityRun[];
}

/** The V8 flag of the memory-tuning variant. */
export const OPTIMIZE_FOR_SIZE = "--optimize-for-size";

/** Timing for a mode. */
export function capacityTiming(quick: boolean): CapacityTiming {
  return { periodMs: 1_000, timeoutMs: 1_000, warmupMs: 3_000, measureMs: quick ? 5_000 : 20_000 };
}

/** The agent as shipped and HAProxy on the same targets, then `extra` agent runs. */
function group(
  mode: Exclude<CapacityMode, "PostgreSQL">,
  targets: number,
  shipped: readonly string[],
  extra: readonly CapacityRun[] = [],
): TargetGroup {
  const runs: CapacityRun[] = [
    { impl: "agent", mode, targets, nodeFlags: shipped, shipped: true },
    { impl: "haproxy", mode, targets, nodeFlags: [], shipped: false },
    ...extra,
  ];
  return { mode, targets, runs };
}

/** Agent runs beside the shipped one: V8's defaults, and the shipped flags + OPTIMIZE_FOR_SIZE. */
function flagVariants(
  mode: "TCP" | "HTTP",
  targets: number,
  shipped: readonly string[],
): CapacityRun[] {
  const runs: CapacityRun[] = [];
  if (shipped.length > 0) {
    runs.push({ impl: "agent", mode, targets, nodeFlags: [], shipped: false });
  }
  if (!shipped.includes(OPTIMIZE_FOR_SIZE)) {
    const nodeFlags = [...shipped, OPTIMIZE_FOR_SIZE];
    runs.push({ impl: "agent", mode, targets, nodeFlags, shipped: false });
  }
  return runs;
}

/** HTTPS: the agent as shipped (resuming sessions), HAProxy, and the agent without resumption. */
function https(targets: number, shipped: readonly string[]): TargetGroup {
  const full: CapacityRun = {
    impl: "agent",
    mode: "HTTPS",
    targets,
    nodeFlags: shipped,
    shipped: false,
    tlsResumption: false,
  };
  return group("HTTPS", targets, shipped, [full]);
}

/** The agent alone (no peer runs the same check): gRPC health, PostgreSQL. */
function agentOnly(
  mode: "GRPC" | "PostgreSQL",
  targets: number,
  shipped: readonly string[],
): TargetGroup {
  return {
    mode,
    targets,
    runs: [{ impl: "agent", mode, targets, nodeFlags: shipped, shipped: true }],
  };
}

function postgres(targets: number, shipped: readonly string[]): TargetGroup {
  return agentOnly("PostgreSQL", targets, shipped);
}

/**
 * The target groups of a run, smallest first. `shipped` are the agent image's Node.js flags; at
 * the largest size the agent also runs with other flags (flagVariants).
 */
export function capacityPlan(quick: boolean, shipped: readonly string[]): TargetGroup[] {
  if (quick) {
    return [
      group("TCP", 100, shipped),
      group("TCP", 1_000, shipped),
      group("HTTP", 1_000, shipped, flagVariants("HTTP", 1_000, shipped)),
      https(100, shipped),
      group("SMTP", 100, shipped),
      agentOnly("GRPC", 100, shipped),
      postgres(100, shipped),
    ];
  }
  return [
    group("TCP", 100, shipped),
    group("TCP", 1_000, shipped),
    group("TCP", 10_000, shipped, flagVariants("TCP", 10_000, shipped)),
    group("HTTP", 100, shipped),
    group("HTTP", 1_000, shipped),
    group("HTTP", 10_000, shipped, flagVariants("HTTP", 10_000, shipped)),
    https(1_000, shipped),
    group("SMTP", 1_000, shipped),
    group("SMTP", 10_000, shipped),
    agentOnly("GRPC", 1_000, shipped),
    agentOnly("GRPC", 10_000, shipped),
    postgres(100, shipped),
    postgres(1_000, shipped),
  ];
}

/**
 * The groups `only` names, in its order: the plan's group of that mode and size, or (a size the
 * plan does not have) the agent as shipped and HAProxy. Empty `only`: the whole plan.
 */
export function selectGroups(
  plan: readonly TargetGroup[],
  only: ReadonlyArray<{ readonly mode: string; readonly targets: number }>,
  shipped: readonly string[],
): TargetGroup[] {
  if (only.length === 0) return [...plan];
  return only.map(wanted => {
    const found = plan.find(g => g.mode === wanted.mode && g.targets === wanted.targets);
    if (found !== undefined) return found;
    switch (wanted.mode) {
      case "PostgreSQL":
      case "GRPC":
        return agentOnly(wanted.mode, wanted.targets, shipped);
      case "HTTPS":
        return https(wanted.targets, shipped);
      case "TCP":
      case "HTTP":
      case "SMTP":
        return group(wanted.mode, wanted.targets, shipped);
      default:
        throw new Error(`no capacity mode ${JSON.stringify(wanted.mode)}`);
    }
  });
}

/** Who ran a measurement: HAProxy, the agent (as shipped), or the agent with its variant. */
export function runLabel(m: CapacityRun): string {
  if (m.impl === "haproxy") return "HAProxy";
  if (m.tlsResumption === false) return "agent (no TLS resumption)";
  if (m.shipped) return "agent";
  return m.nodeFlags.length === 0 ? "agent (V8 defaults)" : `agent (${m.nodeFlags.join(" ")})`;
}
