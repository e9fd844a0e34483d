// Shape of the capacity benchmark's results (bench/results/capacity.json), shared by the runner
// and the report.

import type { Load, Machine } from "../lib/machine.js";
import type { Summary } from "../lib/stats.js";
import type { CapacityRun, CapacityTiming } from "./plan.js";

/** process.memoryUsage() of the agent driver, in MiB. */
export interface DriverMemory {
  readonly rss: number;
  /** V8 heap reserved (all spaces) and in use. */
  readonly heapTotal: number;
  readonly heapUsed: number;
  /** Memory of C++ objects bound to JavaScript ones (Buffers' backing stores included). */
  readonly external: number;
  readonly arrayBuffers: number;
  /** V8's young generation (new space) reserved: its semi-spaces. */
  readonly newSpace: number;
}

/** Measured figures of one run. */
export interface CapacityMeasurement extends CapacityRun {
  /** targets / period. */
  readonly demandedPerSec: number;
  /** Probes the measured process completed per second (HAProxy: counted by the targets). */
  readonly achievedPerSec: number;
  /** Connections (TCP) or requests (HTTP) the targets saw per second. */
  readonly serverSeenPerSec: number;
  /** New connections per second opened in the benchmark's network namespace (kernel count). */
  readonly connectsPerSec: number;
  readonly measuredSeconds: number;
  /** CPU seconds (user + system, all threads) of the measured process during the window. */
  readonly cpuSeconds: number;
  /** cpuSeconds / measuredSeconds: 1.0 is one core fully busy. */
  readonly cpuCores: number;
  /** CPU seconds per 1,000 probes. */
  readonly cpuSecondsPer1000: number;
  /** Probes one fully busy core would run at this cost: probes / cpuSeconds. */
  readonly probesPerCpuSecond: number;
  readonly rssMiB: number;
  readonly peakRssMiB: number;
  /** V8 heap in use at the end of the window (agent only): the rest of RSS is code, buffers, stacks. */
  readonly heapUsedMiB?: number;
  /** The driver's own memory view at the end of the window (agent only). */
  readonly memory?: DriverMemory;
  /** Failed probes in the window (agent only). */
  readonly failures?: number;
  readonly firstFailure?: string;
  /** How late probes started against their planned slot, ms (agent only). */
  readonly lateness?: Summary;
  /** Probe durations, ms (agent only). */
  readonly duration?: Summary;
  /** PostgreSQL server CPU (postmaster and its backends) in cores, for PostgreSQL runs. */
  readonly serverCpuCores?: number;
  readonly load: Load;
}

/** The whole part. */
export interface CapacityResults {
  readonly part: "capacity";
  readonly quick: boolean;
  readonly machine: Machine;
  readonly pinning: string;
  /** Node.js flags of the agent image (images/agent/Dockerfile), used by the shipped runs. */
  readonly shippedNodeFlags: readonly string[];
  readonly timing: CapacityTiming;
  readonly startedAt: Load;
  readonly finishedAt: Load;
  readonly runs: readonly CapacityMeasurement[];
  /** Target groups that could not be measured, with the reason. */
  readonly errors: readonly string[];
}
