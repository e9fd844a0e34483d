// Runs the agent DaemonSet's rollout stand-in (daemonset-main.ts) as a daemon of the world:
// bundles it into build/cluster/daemonset-controller.mjs when a source is newer than the bundle
// (under the same lock as the other harness builds), starts it detached with the state-dir marker
// in its command line, and waits until it says it started.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { withLock } from "../../testenv/lock.js";
import { bundleEntry, newestMtime } from "../builds.js";
import { isOurProcess, logTail, startWorldDaemon } from "../daemons.js";
import { bundleDir, nodeBinary, repoRoot, type WorldLayout } from "../layout.js";
import type { DaemonRecord } from "../state.js";

/** The entry point and bundle name of the stand-in. */
const ENTRY = "tests/cluster/world/daemonset-main.ts";
const BUNDLE = "daemonset-controller";
/** The line daemonset-main.ts logs once it runs. */
const STARTED = '"msg":"rollout stand-in started"';

/** Builds the stand-in's bundle when missing or older than its sources; returns its path. */
export async function ensureDaemonSetControllerBundle(): Promise<string> {
  const root = repoRoot();
  const bundle = join(bundleDir(), `${BUNDLE}.mjs`);
  const sources = ["tests/cluster", "tests/testenv", "images/agent/src", "api"].map(p =>
    join(root, p),
  );
  return withLock(join(root, "build", ".cluster-build.lock"), 15 * 60_000, async () => {
    if (!existsSync(bundle) || statSync(bundle).mtimeMs < newestMtime(sources)) {
      await bundleEntry(ENTRY, BUNDLE);
    }
    return bundle;
  });
}

/** Starts the stand-in for the world in `layout`; resolves once it runs. */
export async function startDaemonSetController(
  layout: WorldLayout,
  opts: { readonly bundle: string; readonly agentBundle: string },
): Promise<DaemonRecord> {
  const logFile = join(layout.logDir, `${BUNDLE}.log`);
  const offset = existsSync(logFile) ? statSync(logFile).size : 0;
  const pid = startWorldDaemon({
    command: nodeBinary(),
    args: [
      "--enable-source-maps",
      // @kubernetes/client-node's dependencies still use punycode and url.parse.
      "--disable-warning=DEP0040",
      "--disable-warning=DEP0169",
      opts.bundle,
      `--state-dir=${layout.marker}`,
      `--agent-bundle=${opts.agentBundle}`,
    ],
    logFile,
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, layout.marker)) {
      throw new Error(`the rollout stand-in exited; log tail:\n${logTail(logFile, 30)}`);
    }
    if (readFileSync(logFile).subarray(offset).toString("utf8").includes(STARTED)) {
      return { pid, logFile };
    }
    await sleep(100);
  }
  throw new Error(`the rollout stand-in did not start in 30 s; log tail:\n${logTail(logFile, 30)}`);
}
