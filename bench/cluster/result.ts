// Shape of the cluster benchmark's results (bench/results/cluster.json), shared by the runner
// and the report.

import type { Load, Machine } from "../lib/machine.js";
import type { Summary } from "../lib/stats.js";
import type { RequestCount } from "./audit.js";

/** API requests counted at the API server over one window. */
export interface RequestWindow {
  readonly seconds: number;
  readonly rows: readonly RequestCount[];
  /** Writes (create/update/patch/delete) by resource, every component. */
  readonly writesByResource: Record<string, number>;
}

/** The whole part. */
export interface ClusterResults {
  readonly part: "cluster";
  readonly quick: boolean;
  readonly machine: Machine;
  readonly kubernetes: string;
  readonly method: string;
  readonly startedAt: Load;
  readonly finishedAt: Load;
  readonly workload: {
    readonly targets: number;
    readonly swhs: number;
    readonly periodSeconds: number;
    readonly failureThreshold: number;
    readonly successThreshold: number;
    readonly waves: number;
    readonly flipsPerWave: number;
  };
  /** Probe result crossing its threshold (in the agent) -> EndpointSlice change seen by a watch. */
  readonly propagation: { readonly down: Summary; readonly up: Summary; readonly all: Summary };
  /** Backend listener closed (opened) -> endpoint seen not ready (ready) in a watch. */
  readonly endToEnd: {
    readonly down: Summary;
    readonly up: Summary;
    /** period × failureThreshold. */
    readonly floorDownMs: number;
    /** period × successThreshold. */
    readonly floorUpMs: number;
  };
  /** Raw samples (ms) behind the summaries, for the plots. */
  readonly samples: {
    readonly propagationDown: readonly number[];
    readonly propagationUp: readonly number[];
    readonly endToEndDown: readonly number[];
    readonly endToEndUp: readonly number[];
  };
  /** Flips whose crossing or sighting was not observed in time. */
  readonly missed: number;
  readonly steady: RequestWindow & {
    /** No slice of the measured node changed resourceVersion during the window. */
    readonly slicesUnchanged: boolean;
    /** CPU and memory of the measured agent over the window (1,000 TCP probes per second). */
    readonly agentCpuCores: number;
    readonly agentRssMiB: number;
  };
  readonly churn: RequestWindow & {
    /** Endpoint ready <-> not-ready changes the watch saw in the window. */
    readonly endpointTransitions: number;
  };
}
