// Test harness for the transports: a temp directory with real protocol files and a ProcessIO
// that records stdout/stderr, so transports run end to end in-process.

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProcessIO } from "../types/transport.js";

/** A prepared hook run: files in `dir`, env naming them, and the captured output. */
export interface Harness {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly stdout: string[];
  readonly stderr: string[];
  /** ProcessIO with these argv, env and captured streams (real filesystem). */
  io(argv: readonly string[]): Partial<ProcessIO>;
  /** Contents of the file an output variable names. */
  output(env: string): Promise<string>;
  cleanup(): Promise<void>;
}

const OUTPUTS = [
  "KUBERNETES_PATCH_PATH",
  "METRICS_PATH",
  "VALUES_JSON_PATCH_PATH",
  "CONFIG_VALUES_JSON_PATCH_PATH",
] as const;

/** Creates the files an operator would: inputs with the given content, outputs empty. */
export async function createHarness(inputs: {
  bindingContext: unknown;
  values?: unknown;
  configValues?: unknown;
}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "so-ts-hooks-"));
  const env: Record<string, string> = {
    BINDING_CONTEXT_PATH: join(dir, "binding-context.json"),
    VALUES_PATH: join(dir, "values.json"),
    CONFIG_VALUES_PATH: join(dir, "config-values.json"),
  };
  await writeFile(env["BINDING_CONTEXT_PATH"] as string, JSON.stringify(inputs.bindingContext));
  await writeFile(env["VALUES_PATH"] as string, JSON.stringify(inputs.values ?? {}));
  await writeFile(env["CONFIG_VALUES_PATH"] as string, JSON.stringify(inputs.configValues ?? {}));
  for (const name of OUTPUTS) {
    env[name] = join(dir, name.toLowerCase());
    await writeFile(env[name], "");
  }
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    dir,
    env,
    stdout,
    stderr,
    io: argv => ({
      argv,
      env,
      stdout: text => void stdout.push(text),
      stderr: text => void stderr.push(text),
      now: () => new Date("2026-11-22T00:00:00Z"),
    }),
    output: name => readFile(env[name] as string, "utf8"),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
