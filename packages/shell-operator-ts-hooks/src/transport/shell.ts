// shell-operator's per-file protocol (reference A.1–A.6): `<hook> --config` prints the v1
// config, `<hook>` alone runs once against $BINDING_CONTEXT_PATH and friends. Any other
// argument (e.g. addon-operator probing extensionless files with `hook config`) is a usage
// error with a non-zero exit, so the file is not mistaken for a batch hook.

import { isModuleHook, toShellOperatorConfig } from "../config/shell-config.js";
import { checkHookConfig, configOf } from "../hook.js";
import { describeError } from "./errors.js";
import { defaultProcessIO } from "./io.js";
import { loadValidator } from "./lazy-validator.js";
import { EXIT, runOnce } from "./run-once.js";
import type { AnyHook } from "../types/hook.js";
import type { ProcessIO } from "../types/transport.js";

const USAGE = "usage: <hook> [--config]\n";

/** Runs `hook` as a shell-operator hook; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function runShellHook(hook: AnyHook, io: Partial<ProcessIO> = {}): Promise<number> {
  const proc = defaultProcessIO(io);
  if (proc.argv.length === 0) return runOnce(hook, proc);
  if (proc.argv.length === 1 && proc.argv[0] === "--config") return printConfig(hook, proc);
  proc.stderr(USAGE);
  return EXIT.usage;
}

async function printConfig(hook: AnyHook, io: ProcessIO): Promise<number> {
  try {
    checkHookConfig(configOf(hook));
    const validateShellOperatorConfig = await loadValidator();
    const config = toShellOperatorConfig(hook);
    const errors = validateShellOperatorConfig(
      config,
      isModuleHook(hook) ? "addon-operator-module" : "shell-operator",
    );
    if (errors.length > 0) {
      io.stderr(`hook ${hook.config.name}: invalid config:\n  ${errors.join("\n  ")}\n`);
      return EXIT.failed;
    }
    io.stdout(`${JSON.stringify(config, null, 2)}\n`);
    return EXIT.ok;
  } catch (error) {
    io.stderr(`hook ${hook.config.name}: ${describeError(error)}\n`);
    return EXIT.failed;
  }
}
