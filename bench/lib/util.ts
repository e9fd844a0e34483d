// Small helpers shared by the benchmark parts: sleeping, a free TCP port on a given address,
// CPU pinning prefixes and JSON result files.

import { spawnSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import { dirname } from "node:path";

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** A port that was free on `host` a moment ago. */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port: 0 }, resolve);
  });
  const address = server.address();
  await new Promise<void>(resolve => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error(`no port on ${host}`);
  return address.port;
}

/** Command prefixes that pin the measured process and the load generators to separate cores. */
export interface Pinning {
  /** For the measured process (agent driver, HAProxy): CPU 0. */
  readonly measured: readonly string[];
  /** For servers (targets, PostgreSQL): the other CPUs. */
  readonly servers: readonly string[];
  /** Human-readable summary for the report. */
  readonly description: string;
}

/** Pins to separate cores when there are two or more and `taskset` exists; otherwise no pinning. */
export function cpuPinning(): Pinning {
  const cores = os.availableParallelism();
  const taskset = spawnSync("taskset", ["--version"], { stdio: "ignore" }).status === 0;
  if (cores < 2 || !taskset) {
    return { measured: [], servers: [], description: "not pinned (one core or no taskset)" };
  }
  const others = cores === 2 ? "1" : `1-${cores - 1}`;
  return {
    measured: ["taskset", "-c", "0"],
    servers: ["taskset", "-c", others],
    description: `measured process on CPU 0, targets and servers on CPU ${others}`,
  };
}

/** Writes `value` as pretty JSON (creating the directory). */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Reads a JSON file, or undefined when it does not exist. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${path} is not valid JSON`, { cause: error });
  }
}
