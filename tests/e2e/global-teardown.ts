// Jest global teardown of the e2e project: stops the box the global setup started and deletes its
// state dir; `down` fails (and so the run) if a process or port is left behind. A box the
// developer asked to keep (SWH_E2E_TESTENV_DIR) stays up. Like the setup, it imports no project
// module and drives the box through the `scripts/testenv` CLI.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Set by global-setup.ts to the state dir it owns. */
const OWNED_DIR_ENV = "SWH_E2E_OWNED_TESTENV_DIR";

/** Jest entry point. */
export default async function globalTeardown(): Promise<void> {
  const stateDir = process.env[OWNED_DIR_ENV];
  if (!stateDir) return;
  const cli = join(import.meta.dirname, "..", "..", "scripts", "testenv");
  // The scenarios' own box (tests/cluster/scenario/context.ts): its world (operator, agents,
  // backends, pod network) and the box itself.
  const demo = join(import.meta.dirname, "..", "..", "scripts", "demo");
  const worldDir = `${stateDir}-world`;
  const worldDown = run(demo, ["world-down", `--state-dir=${worldDir}`, "--purge-box"]).then(
    () => undefined,
    (err: unknown) =>
      new Error(
        `scripts/demo world-down failed for ${worldDir}:\n${(err as { stderr?: string }).stderr ?? ""}`,
        { cause: err },
      ),
  );
  try {
    await run(cli, ["down", "--purge"], { env: { ...process.env, SWH_TESTENV_DIR: stateDir } });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`scripts/testenv down --purge failed in ${stateDir}:\n${stderr}`, {
      cause: err,
    });
  }
  delete process.env[OWNED_DIR_ENV];
  const worldError = await worldDown;
  if (worldError) throw worldError;
}
