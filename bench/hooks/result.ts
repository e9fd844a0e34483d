// Shape of the hook-scaling results (bench/results/hooks.json), shared by the runner and the
// report.

import type { Load, Machine } from "../lib/machine.js";

/** Which run of a hook on one state of the cluster. */
export type HookState = "first" | "steady" | "unconverged";

/** One hook at one scale and state: the median of repeated runs. */
export interface HookMeasurement {
  readonly hook: string;
  readonly swhs: number;
  readonly pods: number;
  /** The agents' EndpointSlices (kube-controller-manager's are counted in `objects`). */
  readonly slices: number;
  /** first: statuses empty (after an upgrade); steady: the state the hooks wrote; unconverged:
   *  the hooks still write after several rounds. */
  readonly state: HookState;
  readonly round: number;
  /** Wall time of `swh-hooks hook run N` (process start to exit), ms. */
  readonly wallMs: number;
  readonly wallMinMs: number;
  readonly wallMaxMs: number;
  /** Peak resident memory of the hook process (/usr/bin/time %M), MiB. */
  readonly peakRssMiB: number;
  /** Size of the binding context file, MiB. */
  readonly contextMiB: number;
  /** Objects of the generated cluster at this size before the first round, by kind (agents'
   *  and kube-controller-manager's EndpointSlices apart). */
  readonly objects?: Record<string, number>;
  /** Items in each binding's snapshot of this run's context. */
  readonly snapshotItems?: Record<string, number>;
  /** Patch operations the run wrote, by operation. */
  readonly operations: Record<string, number>;
  readonly repeats: number;
}

/** The whole part. */
export interface HookResults {
  readonly part: "hooks";
  readonly quick: boolean;
  readonly machine: Machine;
  readonly executableMiB: number;
  /** What the generated cluster holds besides the SWHs, in words. */
  readonly workload?: string;
  readonly startedAt: Load;
  readonly finishedAt: Load;
  readonly runs: readonly HookMeasurement[];
}
