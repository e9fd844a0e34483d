// The real process around a transport: argv, environment, stdout/stderr and the filesystem.
// Tests pass overrides instead, so transports run in-process without spawning.

import { readFile, writeFile } from "node:fs/promises";
import type { ProcessIO } from "../types/transport.js";

/** ProcessIO of the current process, with `overrides` applied. */
export function defaultProcessIO(overrides: Partial<ProcessIO> = {}): ProcessIO {
  return {
    argv: process.argv.slice(2),
    env: process.env,
    stdout: text => void process.stdout.write(text),
    stderr: text => void process.stderr.write(text),
    readFile: path => readFile(path, "utf8"),
    writeFile: (path, content) => writeFile(path, content, "utf8"),
    now: () => new Date(),
    ...overrides,
  };
}
