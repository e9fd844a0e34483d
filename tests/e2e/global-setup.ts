// Jest global setup of the e2e project: builds the Go tools when missing (minutes, once per
// machine), brings up a cluster in a box in a state dir of its own, and hands its location to the
// tests through the environment (KUBECONFIG, SWH_TESTENV_DIR), which test workers inherit.
//
// SWH_E2E_TESTENV_DIR=<dir> makes the run use (or start) a box in <dir> and leave it running
// afterwards, for quick iterations; by default the box lives in run/e2e-<pid> and is purged.
//
// Jest loads global setup files outside its module system (no `.js` → `.ts` mapping), so this
// file imports no project module: it drives the box through the `scripts/testenv` CLI.
import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

/** Repository root (this file is tests/e2e/global-setup.ts). */
const ROOT = join(import.meta.dirname, "..", "..");
const CLI = join(ROOT, "scripts", "testenv");

/** Environment variable carrying the state dir the global teardown must purge. */
const OWNED_DIR_ENV = "SWH_E2E_OWNED_TESTENV_DIR";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `scripts/testenv <args>` on `stateDir` and returns its stdout. Its stderr (build progress
 * on a cold machine, failure details) goes straight to ours.
 */
function testenv(stateDir: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI, [...args], {
      env: { ...process.env, SWH_TESTENV_DIR: stateDir },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const out: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.on("error", err => reject(new Error(`cannot run ${CLI}`, { cause: err })));
    child.on("close", code => {
      if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
      else
        reject(new Error(`scripts/testenv ${args.join(" ")} failed (exit ${code}) in ${stateDir}`));
    });
  });
}

/** Purges boxes left by e2e runs that died before their teardown. */
async function sweepAbandoned(runDir: string): Promise<void> {
  const entries = await readdir(runDir).catch(() => [] as string[]);
  for (const name of entries) {
    const match = /^e2e-(\d+)$/.exec(name);
    if (!match || alive(Number(match[1]))) continue;
    process.stderr.write(`testenv: removing box abandoned by e2e run ${match[1]}\n`);
    await testenv(join(runDir, name), ["down", "--purge"]);
  }
}

/** Jest entry point. */
export default async function globalSetup(): Promise<void> {
  const cache = process.env.SWH_TESTENV_CACHE || join(homedir(), ".cache", "swh-testenv");
  const runDir = join(cache, "run");
  await sweepAbandoned(runDir);
  const shared = process.env.SWH_E2E_TESTENV_DIR;
  const stateDir = shared || join(runDir, `e2e-${process.pid}`);
  // Own the dir before starting, so a failed start is still cleaned up by the teardown.
  if (!shared) process.env[OWNED_DIR_ENV] = stateDir;
  const status = JSON.parse(await testenv(stateDir, ["up", "--json"])) as {
    server?: string;
    kubeconfig: string;
    reused: boolean;
    elapsedMs: number;
  };
  process.stderr.write(
    `\ntestenv: ${status.reused ? "reusing" : "started"} ${status.server ?? "?"} ` +
      `in ${(status.elapsedMs / 1000).toFixed(1)} s (state dir ${stateDir})\n`,
  );
  process.env.SWH_TESTENV_DIR = stateDir;
  process.env.KUBECONFIG = status.kubeconfig;
}
