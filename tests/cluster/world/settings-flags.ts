// The agent flags the module's chart renders for given ModuleConfig settings, as the harness
// expects to find them in the DaemonSet (templates/_helpers.tpl `swh.agentArgs`, whose fallbacks
// are the openapi/config-values.yaml defaults). The harness waits for exactly these flags to know
// that the operator applied a settings change, and the scenarios compare them with what the agent
// processes run. Pure.

/** The settings fields that become agent flags (openapi/config-values.yaml). */
interface AgentSettings {
  readonly logLevel?: string;
  readonly debug?: boolean;
  readonly verboseStatus?: boolean;
  readonly agent?: { readonly maxConcurrentProbes?: number };
  readonly heartbeat?: {
    readonly leaseDurationSeconds?: number;
    readonly renewIntervalSeconds?: number;
  };
}

/** The settings-dependent flags of the agent container, in the chart's order. */
export function expectedAgentFlags(settings: Readonly<Record<string, unknown>>): string[] {
  const s = settings as AgentSettings;
  const level = s.debug === true ? "debug" : (s.logLevel ?? "Info").toLowerCase();
  return [
    `--max-concurrent-probes=${s.agent?.maxConcurrentProbes ?? 1000}`,
    `--lease-duration=${s.heartbeat?.leaseDurationSeconds ?? 40}s`,
    `--lease-renew-interval=${s.heartbeat?.renewIntervalSeconds ?? 10}s`,
    `--log-level=${level}`,
    `--verbose-status=${String(s.verboseStatus ?? false)}`,
  ];
}

/** True when `args` carry every flag `settings` should render. */
export function argsMatchSettings(
  args: readonly string[],
  settings: Readonly<Record<string, unknown>>,
): boolean {
  return expectedAgentFlags(settings).every(f => args.includes(f));
}
