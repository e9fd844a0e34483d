// A box and world of a scenario's own, for scenarios that break the cluster itself (freeze the
// API server, say). The other scenario files share one world (`scenario/context.ts`,
// `<SWH_TESTENV_DIR>-world`), and jest may run several files at once in separate workers: a frozen
// API server would fail whatever they are doing. Such a scenario gets a box next to the e2e box,
// `<SWH_TESTENV_DIR>-<suffix>`, with the same module settings (E2E_SETTINGS) and the same world
// (addon-operator, nodes, agents), and tears both down when it ends — unless the developer
// keeps the boxes between runs with SWH_E2E_TESTENV_DIR, as the other boxes are kept. Boxes of
// this kind left by an e2e run that died (`e2e-<pid>-<suffix>`) are swept first.
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { down, ensureUp } from "../../testenv/index.js";
import { ensureArtefacts, type Artefacts } from "../builds.js";
import { E2E_SETTINGS, worldDown, worldUp, type World } from "../world/world.js";
import { e2eStateDir } from "./context.js";

/** A box of a scenario's own and the world running in it. */
export interface OwnWorld {
  readonly world: World;
  readonly artefacts: Artefacts;
  /** The box's testenv state dir. */
  readonly stateDir: string;
}

const log = (line: string): void => void process.stderr.write(`[own-box] ${line}\n`);

/** The state dir of the box of suffix `suffix` (`<e2e box>-<suffix>`). */
export function ownStateDir(suffix: string): string {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(suffix) || suffix === "world") {
    throw new Error(`invalid own-box suffix ${JSON.stringify(suffix)}`);
  }
  return `${e2eStateDir()}-${suffix}`;
}

/** True when the developer asked to keep the e2e boxes between runs (SWH_E2E_TESTENV_DIR). */
export function boxesKept(): boolean {
  return Boolean(process.env.SWH_E2E_TESTENV_DIR);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Tears down the world and box in `stateDir`, purging the box. */
async function purge(stateDir: string): Promise<void> {
  await worldDown(stateDir, log);
  await down({ stateDir, purge: true });
}

/** Purges `e2e-<pid>-<suffix>` boxes whose e2e run is gone. */
async function sweepAbandoned(stateDir: string, suffix: string): Promise<void> {
  const parent = dirname(stateDir);
  if (!existsSync(parent)) return;
  const pattern = new RegExp(`^e2e-(\\d+)-${suffix}$`);
  for (const name of readdirSync(parent)) {
    const match = pattern.exec(name);
    if (!match || alive(Number(match[1])) || join(parent, name) === stateDir) continue;
    log(`removing ${name}, abandoned by e2e run ${match[1]}`);
    await purge(join(parent, name)).catch(() => undefined);
  }
}

/**
 * Brings up the box `<e2e box>-<suffix>` (built artefacts first; with `nodes`, real nodes) and the
 * world in it with the e2e settings. Idempotent: a running box and world are reused.
 */
export async function ownWorld(
  suffix: string,
  opts: { readonly nodes?: number } = {},
): Promise<OwnWorld> {
  const stateDir = ownStateDir(suffix);
  if (/^e2e-\d+-/.test(basename(stateDir))) await sweepAbandoned(stateDir, suffix);
  const artefacts = await ensureArtefacts(log);
  await ensureUp({ stateDir, log: process.stderr, ...(opts.nodes ? { nodes: opts.nodes } : {}) });
  const world = await worldUp({ stateDir, settings: E2E_SETTINGS, log, operatorLogLevel: "debug" });
  return { world, artefacts, stateDir };
}

/**
 * Closes the world's API connections, then stops the world and purges the box, unless the boxes
 * are kept (boxesKept). Returns whether it tore them down.
 */
export async function releaseOwnWorld(own: OwnWorld | undefined, suffix: string): Promise<boolean> {
  own?.world.rest.close();
  if (boxesKept()) return false;
  try {
    await purge(own?.stateDir ?? ownStateDir(suffix));
  } catch (err) {
    throw new Error(`tearing down the ${suffix} box failed`, { cause: err });
  }
  return true;
}
