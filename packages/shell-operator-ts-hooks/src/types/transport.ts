// What the transports run in and produce: the process around them (argv, env, files, clock), the
// batch executable's options and readiness probe, and the output of one hook run.

import type { HookInput } from "./hook.js";
import type { LogRecord } from "./logging.js";
import type { MetricOperation } from "./metrics.js";
import type { PatchOperation } from "./patch-operations.js";
import type { ValuesPatchOp } from "./values.js";

/** The process around a transport; every field has a real default (see `defaultProcessIO`). */
export interface ProcessIO {
  /** Arguments after the script (`process.argv.slice(2)`). */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes to stdout. */
  readonly stdout: (text: string) => void;
  /** Writes to stderr. */
  readonly stderr: (text: string) => void;
  /** Reads a UTF-8 file. */
  readonly readFile: (path: string) => Promise<string>;
  /** Writes a UTF-8 file (replacing it). */
  readonly writeFile: (path: string, content: string) => Promise<void>;
  /** The clock. */
  readonly now: () => Date;
}

/** The readiness probe of a batch executable (`hook ready`). */
export interface ReadinessConfig {
  /** How often addon-operator runs the probe, in seconds (default 1). */
  intervalSeconds?: number;
  /** Throws (or rejects) when the module is not ready. */
  probe: (input: HookInput) => void | Promise<void>;
}

/** Options of the batch transport. */
export interface BatchOptions {
  readiness?: ReadinessConfig;
}

/** The output of one hook run, as the transports write it and the test helpers return it. */
export interface HookRunResult {
  readonly operations: readonly PatchOperation[];
  readonly metrics: readonly MetricOperation[];
  readonly valuesPatches: readonly ValuesPatchOp[];
  readonly configValuesPatches: readonly ValuesPatchOp[];
  /** Log lines (parsed JSON objects) the hook wrote. */
  readonly logs: readonly LogRecord[];
}
