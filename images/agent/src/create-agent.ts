// The agent as the image runs it, in one call: main.ts, the cluster benchmark and the agent's
// end-to-end tests build it here, so they run the same wiring (the real probe scheduler, sized by
// the configuration), with only the probers or a state-change tap swapped in.

import { Agent } from "./agent.js";
import type { AgentConfig } from "./config.js";
import type { KubeRest } from "swh-kube-client";
import type { Logger } from "./log.js";
import type { AgentMetrics } from "./metrics.js";
import type { ProbeSpec, Prober } from "./probes/types.js";
import { ProbeScheduler } from "./scheduler/scheduler.js";
import type { ProbeState } from "./scheduler/types.js";

/** What createAgent needs besides the configuration. */
export interface AgentDeps {
  readonly rest: KubeRest;
  readonly log: Logger;
  readonly metrics: AgentMetrics;
  /** Probers by mode (default: the real TCP, HTTP and PostgreSQL probers). */
  readonly probers?: Record<ProbeSpec["mode"], Prober>;
  /** Told of every thresholded probe state change, before the agent acts on it. */
  readonly onProbeStateChange?: (key: string, state: ProbeState) => void;
}

/** The agent as the image runs it: the real probe scheduler, sized by the configuration. */
export function createAgent(config: AgentConfig, deps: AgentDeps): Agent {
  return new Agent({
    config,
    rest: deps.rest,
    log: deps.log,
    metrics: deps.metrics,
    createScheduler: ({ onChange, observer }) =>
      new ProbeScheduler({
        maxConcurrent: config.maxConcurrentProbes,
        observer,
        ...(deps.probers ? { probers: deps.probers } : {}),
        onChange: (key, state) => {
          deps.onProbeStateChange?.(key, state);
          onChange(key, state);
        },
      }),
  });
}
