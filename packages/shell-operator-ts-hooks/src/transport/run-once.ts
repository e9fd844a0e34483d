// One hook run through the file protocol, shared by both transports: read inputs, execute,
// write outputs; any failure is logged on stderr with its cause chain and becomes exit code 1.

import { createLogger, isLogLevel } from "../logger.js";
import { executeHook } from "../run.js";
import { describeError } from "./errors.js";
import { readRunInputs, writeRunOutputs } from "./files.js";
import type { AnyHook } from "../types/hook.js";
import type { Logger } from "../types/logging.js";
import type { ProcessIO } from "../types/transport.js";

/** Exit codes of the transports. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A JSON-lines logger on the transport's stderr, honouring LOG_LEVEL. */
export function transportLogger(io: ProcessIO, hookName?: string): Logger {
  const level = io.env["LOG_LEVEL"]?.toLowerCase();
  return createLogger({
    write: io.stderr,
    now: io.now,
    ...(isLogLevel(level) ? { level } : {}),
    ...(hookName ? { fields: { hook: hookName } } : {}),
  });
}

/** Runs `hook` once against the protocol files; returns the exit code. */
export async function runOnce(
  hook: AnyHook,
  io: ProcessIO,
  optionalContext = false,
): Promise<number> {
  const logger = transportLogger(io, hook.config.name);
  try {
    const inputs = await readRunInputs(io, optionalContext);
    const result = await executeHook(hook, { ...inputs, now: io.now(), logger });
    await writeRunOutputs(io, result);
    return EXIT.ok;
  } catch (error) {
    logger.error(describeError(error));
    return EXIT.failed;
  }
}
