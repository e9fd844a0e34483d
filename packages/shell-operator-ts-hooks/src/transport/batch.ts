// addon-operator's batch protocol (reference B.3), the way module-sdk's `app.Run()` speaks it:
// `hook list` prints `Found N items` (the discovery probe), `hook config` prints the
// BatchHookConfig JSON, `hook run <N>` runs hook N against the protocol files, and `hook ready`
// (or `hook run ready`) runs the readiness probe, or just succeeds when none is configured.

import { batchConfigWarnings, toBatchHookConfig } from "../config/batch-config.js";
import { toShellOperatorConfig } from "../config/shell-config.js";
import { checkHookConfig, configOf, defineHook } from "../hook.js";
import { describeError } from "./errors.js";
import { defaultProcessIO } from "./io.js";
import { loadValidator } from "./lazy-validator.js";
import { EXIT, runOnce, transportLogger } from "./run-once.js";
import type { AnyHook } from "../types/hook.js";
import type { BatchOptions, ProcessIO } from "../types/transport.js";

/** The readiness hook's key in addon-operator's batch hook map. */
const READY_KEY = "ready";

const USAGE = "usage: <executable> hook list | hook config | hook run <index> | hook ready\n";

/** Runs the batch CLI for `hooks`; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function runBatch(
  hooks: readonly AnyHook[],
  io: Partial<ProcessIO> = {},
  options: BatchOptions = {},
): Promise<number> {
  const proc = defaultProcessIO(io);
  const [group, command = "", arg, ...extra] = proc.argv;
  if (group !== "hook" || extra.length > 0) return usage(proc);
  // addon-operator keys the readiness hook "ready"; accept it as a run index too
  if (command === "run") return arg === READY_KEY ? ready(proc, options) : run(hooks, proc, arg);
  const handlers: Readonly<Record<string, () => number | Promise<number>>> = {
    list: () => list(hooks, proc),
    config: () => printConfig(hooks, proc, options),
    ready: () => ready(proc, options),
  };
  const handler = Object.hasOwn(handlers, command) ? handlers[command] : undefined;
  return handler && arg === undefined ? handler() : usage(proc);
}

function usage(io: ProcessIO): number {
  io.stderr(USAGE);
  return EXIT.usage;
}

function list(hooks: readonly AnyHook[], io: ProcessIO): number {
  const lines = hooks.map((hook, i) => `${i} - ${hook.config.name}\n`);
  io.stdout(`Found ${hooks.length} items:\n${lines.join("")}`);
  return EXIT.ok;
}

async function printConfig(
  hooks: readonly AnyHook[],
  io: ProcessIO,
  options: BatchOptions,
): Promise<number> {
  try {
    const errors = await checkHooks(hooks);
    if (errors.length > 0) {
      io.stderr(`invalid hook config:\n  ${errors.join("\n  ")}\n`);
      return EXIT.failed;
    }
    const doc = toBatchHookConfig(hooks, options);
    const logger = transportLogger(io);
    for (const warning of batchConfigWarnings(hooks)) logger.warn(warning);
    io.stdout(`${JSON.stringify(doc)}\n`);
    return EXIT.ok;
  } catch (error) {
    io.stderr(`${describeError(error)}\n`);
    return EXIT.failed;
  }
}

/**
 * Self-check before printing: unique names, consistent configs, and each hook's bindings valid
 * under the shell-operator schema (the batch JSON is remapped to it by addon-operator).
 */
export async function checkHooks(hooks: readonly AnyHook[]): Promise<string[]> {
  const validateShellOperatorConfig = await loadValidator();
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const hook of hooks) {
    const name = hook.config.name;
    if (seen.has(name)) errors.push(`duplicate hook name "${name}"`);
    seen.add(name);
    try {
      checkHookConfig(configOf(hook));
      const problems = validateShellOperatorConfig(
        toShellOperatorConfig(hook),
        "addon-operator-module",
      );
      errors.push(...problems.map(p => `hook ${name}: ${p}`));
    } catch (error) {
      errors.push(describeError(error));
    }
  }
  return errors;
}

async function run(
  hooks: readonly AnyHook[],
  io: ProcessIO,
  arg: string | undefined,
): Promise<number> {
  const index = arg !== undefined && /^\d+$/.test(arg) ? Number(arg) : -1;
  const hook = hooks[index];
  if (!hook) {
    io.stderr(`hook index ${JSON.stringify(arg)} does not exist (have ${hooks.length})\n${USAGE}`);
    return EXIT.usage;
  }
  return runOnce(hook, io);
}

async function ready(io: ProcessIO, options: BatchOptions): Promise<number> {
  const readiness = options.readiness;
  if (!readiness) return EXIT.ok;
  const probe = defineHook({ name: "readiness" }, input => readiness.probe(input));
  return runOnce(probe, io, true);
}
