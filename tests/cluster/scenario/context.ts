// The world every e2e scenario runs in. It gets a box of its own, next to the one jest's global
// setup started (`<SWH_TESTENV_DIR>-world`): once the module runs, its hooks act cluster-wide
// (they garbage-collect and fence EndpointSlices of agents without a Lease), which would disturb
// e2e tests that drive bare agents in the shared box, and vice versa. That box runs three real
// nodes (kubelet, containerd, kube-proxy: `scripts/testenv up --nodes=3`), and the module is
// enabled through its ModuleConfig with the e2e settings (short Lease): the kubelets run the
// chart's agent DaemonSet, the scenarios' workloads are real pods. `scenarioWorld()` brings it up once per test file (idempotent across files: the first
// starts it, the next reuse it); jest's global teardown stops and purges it, or leaves it running
// when SWH_E2E_TESTENV_DIR asked to keep the box.
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { down, ensureUp } from "../../testenv/index.js";
import { ensureArtefacts, type Artefacts } from "../builds.js";
import { E2E_SETTINGS, worldDown, worldUp, type World } from "../world/world.js";

/** The scenario box's real nodes: node-1..3, zones zone-a, zone-b, zone-a. */
export const SCENARIO_NODES = ["node-1", "node-2", "node-3"] as const;

/**
 * Timeout of a scenario file's setup: on a cold machine the first one builds helm from the Go
 * module proxy and starts a box before the world comes up.
 */
export const SCENARIO_SETUP_TIMEOUT_MS = 15 * 60_000;

let pending: Promise<{ world: World; artefacts: Artefacts }> | undefined;

/** The state dir of the e2e box jest's global setup started. */
export function e2eStateDir(): string {
  const dir = process.env.SWH_TESTENV_DIR;
  if (!dir) throw new Error("SWH_TESTENV_DIR is not set: run e2e tests through jest's e2e project");
  return dir;
}

/** The state dir of the scenarios' own box. */
export function scenarioStateDir(): string {
  return `${e2eStateDir()}-world`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops and purges scenario boxes whose e2e run (e2e-<pid>-world) died before its teardown. */
async function sweepAbandoned(dir: string): Promise<void> {
  const parent = dirname(dir);
  if (!existsSync(parent)) return;
  for (const name of readdirSync(parent)) {
    const match = /^e2e-(\d+)-world$/.exec(name);
    if (!match || alive(Number(match[1])) || join(parent, name) === dir) continue;
    await worldDown(join(parent, name)).catch(() => undefined);
    await down({ stateDir: join(parent, name), purge: true }).catch(() => undefined);
  }
}

const log = (line: string): void => void process.stderr.write(`[world] ${line}\n`);

/** The world with the e2e settings, and the built artefacts. */
export function scenarioWorld(): Promise<{ world: World; artefacts: Artefacts }> {
  pending ??= (async () => {
    const stateDir = scenarioStateDir();
    if (/^e2e-\d+-world$/.test(basename(stateDir))) await sweepAbandoned(stateDir);
    const artefacts = await ensureArtefacts(log);
    await ensureUp({ stateDir, nodes: SCENARIO_NODES.length, log: process.stderr });
    const world = await worldUp({
      stateDir,
      settings: E2E_SETTINGS,
      log,
      operatorLogLevel: "debug",
    });
    return { world, artefacts };
  })();
  return pending;
}

/** Closes the file's API connections (jest waits for open handles otherwise). */
export async function releaseScenarioWorld(): Promise<void> {
  if (!pending) return;
  const { world } = await pending.catch(() => ({ world: undefined }));
  world?.rest.close();
}
