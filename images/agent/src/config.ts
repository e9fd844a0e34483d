// The agent's configuration from command-line flags and environment variables (flags win).
// Pure: `parseConfig(argv, env)` returns the validated configuration, a help request, or every
// problem found at once, so a bad DaemonSet spec fails with one clear message (exit code 2)
// instead of a crash loop with a stack trace.

import { MODULE_NAMESPACE } from "../../../api/contract.js";
import { parseLogLevel, type LogLevel } from "./log.js";

/** A host:port to listen on; host "" means every interface. */
export interface BindAddress {
  readonly host: string;
  readonly port: number;
}

/** The agent's validated configuration. */
export interface AgentConfig {
  /** The node whose pods this agent probes (required). */
  readonly nodeName: string;
  /** Namespace of the heartbeat Lease (the agent's own namespace). */
  readonly namespace: string;
  /** Path of a kubeconfig; in-cluster ServiceAccount credentials when absent. */
  readonly kubeconfig?: string;
  /** Where /healthz and /readyz are served. */
  readonly healthBind: BindAddress;
  /** Where /metrics is served (loopback by default: kube-rbac-proxy fronts it). */
  readonly metricsBind: BindAddress;
  /** Probes running at the same time; more wait in a queue. */
  readonly maxConcurrentProbes: number;
  /** Lease validity without renewal (ms). */
  readonly leaseDurationMs: number;
  /** Lease renewal period (ms). */
  readonly leaseRenewIntervalMs: number;
  /** Window in which changes are coalesced into one write per slice (ms). */
  readonly writeCoalesceMs: number;
  /** Period of the informers' full relist (ms). */
  readonly resyncIntervalMs: number;
  readonly logLevel: LogLevel;
  /** Put lastProbeTime into endpoint reports (a write per probe period). */
  readonly verboseStatus: boolean;
}

/** Result of parseConfig. */
export type ConfigResult =
  | { readonly kind: "config"; readonly config: AgentConfig }
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "error"; readonly errors: readonly string[]; readonly text: string };

interface FlagDef {
  readonly flag: string;
  readonly env?: string;
  readonly boolean?: boolean;
  readonly help: string;
  readonly def?: string;
}

/** Every flag, with its environment variable and default. */
export const FLAGS: readonly FlagDef[] = [
  { flag: "node-name", env: "NODE_NAME", help: "node whose pods to probe (required)" },
  {
    flag: "namespace",
    env: "POD_NAMESPACE",
    help: "namespace of the heartbeat Lease",
    def: MODULE_NAMESPACE,
  },
  {
    flag: "kubeconfig",
    env: "KUBECONFIG",
    help: "kubeconfig path (in-cluster credentials when unset)",
  },
  {
    flag: "health-bind",
    env: "HEALTH_BIND",
    help: "address of /healthz and /readyz",
    def: ":9873",
  },
  { flag: "metrics-bind", env: "METRICS_BIND", help: "address of /metrics", def: "127.0.0.1:9874" },
  {
    flag: "max-concurrent-probes",
    env: "MAX_CONCURRENT_PROBES",
    help: "probes running at once",
    def: "1000",
  },
  {
    flag: "lease-duration",
    env: "LEASE_DURATION",
    help: "Lease validity (seconds or 40s, 1m)",
    def: "40s",
  },
  {
    flag: "lease-renew-interval",
    env: "LEASE_RENEW_INTERVAL",
    help: "Lease renewal period",
    def: "10s",
  },
  {
    flag: "write-coalesce-ms",
    env: "WRITE_COALESCE_MS",
    help: "window coalescing slice writes (ms)",
    def: "20",
  },
  {
    flag: "resync-interval",
    env: "RESYNC_INTERVAL",
    help: "informers' full relist period",
    def: "10m",
  },
  { flag: "log-level", env: "LOG_LEVEL", help: "debug, info, warn or error", def: "info" },
  {
    flag: "verbose-status",
    env: "VERBOSE_STATUS",
    boolean: true,
    help: "report lastProbeTime (more writes)",
    def: "false",
  },
];

/** The --help text. */
export function usage(): string {
  const lines = FLAGS.map(f => {
    const name = `--${f.flag}${f.boolean ? "" : " <value>"}`.padEnd(34);
    const env = f.env ? ` [$${f.env}]` : "";
    const def = f.def ? ` (default ${f.def})` : "";
    return `  ${name}${f.help}${env}${def}`;
  });
  return [
    "Usage: agent [flags]",
    "",
    "ServiceWithHealthchecks node agent: probes the pods of one node and publishes EndpointSlices.",
    "",
    ...lines,
    `  ${"--help".padEnd(34)}show this text`,
    "",
  ].join("\n");
}

/** Parses `[host]:port`, `[v6]:port`; host "" = all interfaces. */
export function parseBind(text: string): BindAddress | string {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) return `expected [host]:port, got ${JSON.stringify(text)}`;
  return { host: match[1] ?? match[2] ?? "", port };
}

/** Parses `500ms`, `10s`, `1m`, `1h` or a bare number of `bareUnitMs` units into ms. */
export function parseDuration(text: string, bareUnitMs = 1000): number | string {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match) return `expected a duration like 10s, 1m or 500ms, got ${JSON.stringify(text)}`;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? ""] ?? bareUnitMs;
  return Math.round(Number(match[1]) * unit);
}

function parseBoolean(text: string): boolean | string {
  const lower = text.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(lower)) return true;
  if (["false", "0", "no", "off", ""].includes(lower)) return false;
  return `expected true or false, got ${JSON.stringify(text)}`;
}

function parseInteger(text: string, min: number, max: number): number | string {
  if (!/^\s*\d+\s*$/.test(text)) return `expected an integer, got ${JSON.stringify(text)}`;
  const value = Number(text);
  return value < min || value > max ? `must be between ${min} and ${max}, got ${value}` : value;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Splits argv into flag values; unknown flags and stray arguments are errors. */
function readArgv(argv: readonly string[]): { values: Map<string, string>; errors: string[] } {
  const values = new Map<string, string>();
  const errors: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const def = match ? FLAGS.find(f => f.flag === match[1]) : undefined;
    if (arg === "--help" || arg === "-h") values.set("help", "true");
    else if (!match || !def) errors.push(`unknown argument ${JSON.stringify(arg)}`);
    else if (match[2] !== undefined) values.set(def.flag, match[2]);
    else if (def.boolean) values.set(def.flag, "true");
    else if (i + 1 < argv.length) values.set(def.flag, argv[++i] ?? "");
    else errors.push(`--${def.flag} needs a value`);
  }
  return { values, errors };
}

type Raw = (flag: string) => string | undefined;

/** Collects a typed value, recording `--flag: problem` on failure. */
function field<T>(errors: string[], flag: string, parsed: T | string): T | undefined {
  if (typeof parsed === "string") {
    errors.push(`--${flag}: ${parsed}`);
    return undefined;
  }
  return parsed;
}

function buildConfig(raw: Raw, errors: string[]): AgentConfig | undefined {
  const get = (flag: string): string => raw(flag) ?? FLAGS.find(f => f.flag === flag)?.def ?? "";
  const nodeName = get("node-name").trim();
  if (nodeName === "") errors.push("--node-name (or $NODE_NAME) is required");
  else if (!DNS_SUBDOMAIN.test(nodeName) || nodeName.length > 253) {
    errors.push(`--node-name: ${JSON.stringify(nodeName)} is not a valid node name`);
  }
  const kubeconfig = get("kubeconfig").trim();
  const logLevel = parseLogLevel(get("log-level"));
  if (!logLevel) {
    errors.push(
      `--log-level: unknown level ${JSON.stringify(get("log-level"))} (debug, info, warn, error)`,
    );
  }
  const config = {
    nodeName,
    namespace: get("namespace").trim() || MODULE_NAMESPACE,
    ...(kubeconfig ? { kubeconfig } : {}),
    healthBind: field(errors, "health-bind", parseBind(get("health-bind"))),
    metricsBind: field(errors, "metrics-bind", parseBind(get("metrics-bind"))),
    maxConcurrentProbes: field(
      errors,
      "max-concurrent-probes",
      parseInteger(get("max-concurrent-probes"), 1, 100_000),
    ),
    leaseDurationMs: field(errors, "lease-duration", parseDuration(get("lease-duration"))),
    leaseRenewIntervalMs: field(
      errors,
      "lease-renew-interval",
      parseDuration(get("lease-renew-interval")),
    ),
    writeCoalesceMs: field(errors, "write-coalesce-ms", parseDuration(get("write-coalesce-ms"), 1)),
    resyncIntervalMs: field(errors, "resync-interval", parseDuration(get("resync-interval"))),
    logLevel,
    verboseStatus: field(errors, "verbose-status", parseBoolean(get("verbose-status"))),
  };
  checkRelations(config, errors);
  // Every field parsed when no error was recorded (field() returns undefined only with one).
  return errors.length === 0 ? (config as unknown as AgentConfig) : undefined;
}

function checkRelations(
  c: {
    leaseDurationMs?: number;
    leaseRenewIntervalMs?: number;
    writeCoalesceMs?: number;
    resyncIntervalMs?: number;
  },
  errors: string[],
): void {
  if (c.leaseDurationMs !== undefined && c.leaseDurationMs < 5000) {
    errors.push("--lease-duration: must be at least 5s");
  }
  if (c.leaseRenewIntervalMs !== undefined && c.leaseRenewIntervalMs < 1000) {
    errors.push("--lease-renew-interval: must be at least 1s");
  }
  if (
    c.leaseDurationMs !== undefined &&
    c.leaseRenewIntervalMs !== undefined &&
    c.leaseRenewIntervalMs * 2 > c.leaseDurationMs
  ) {
    errors.push("--lease-renew-interval: must be at most half of --lease-duration");
  }
  if (c.writeCoalesceMs !== undefined && c.writeCoalesceMs > 10_000) {
    errors.push("--write-coalesce-ms: must be at most 10000");
  }
  if (c.resyncIntervalMs !== undefined && c.resyncIntervalMs < 10_000) {
    errors.push("--resync-interval: must be at least 10s");
  }
}

/** Parses and validates flags (`argv` without node and script) over environment variables. */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ConfigResult {
  const { values, errors } = readArgv(argv);
  if (values.has("help")) return { kind: "help", text: usage() };
  const raw: Raw = flag => {
    const fromFlag = values.get(flag);
    if (fromFlag !== undefined) return fromFlag;
    const name = FLAGS.find(f => f.flag === flag)?.env;
    const fromEnv = name ? env[name] : undefined;
    return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
  };
  const config = buildConfig(raw, errors);
  if (config && errors.length === 0) return { kind: "config", config };
  return { kind: "error", errors, text: usage() };
}
