// Where the world of a box lives: everything the harness adds to a testenv state dir goes under
// `<state dir>/cluster/` (state file, locks, logs, the staged module, backend sockets, scratch),
// and the bundles it runs are built into `<repo>/build/cluster/`. Derived in one place so the
// library, the demo CLI and the jest teardown agree.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is tests/cluster/layout.ts, or bundled in build/cluster/). */
export function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/** The pinned Node 24 binary (the `node` devDependency): runs the agent, operator, backends. */
export function nodeBinary(): string {
  return join(repoRoot(), "node_modules", "node", "bin", "node");
}

/** Directory of the harness bundles. */
export function bundleDir(): string {
  return join(repoRoot(), "build", "cluster");
}

/** Every path of one world. */
export interface WorldLayout {
  /** The testenv state dir the world belongs to. */
  readonly stateDir: string;
  /** `<state dir>/cluster`. */
  readonly root: string;
  /** `world.json`: pod network, processes, nodes. */
  readonly stateFile: string;
  /** Held while the world changes (up, down, agent restarts). */
  readonly lockFile: string;
  /** Serialises pod address allocation across processes. */
  readonly addressLockFile: string;
  readonly logDir: string;
  /** MODULES_DIR of the operator: holds `900-service-with-healthchecks/` and values.yaml. */
  readonly modulesDir: string;
  readonly moduleDir: string;
  /** addon-operator's --tmp-dir (hook files, helm values). */
  readonly tmpDir: string;
  /** Process marker: present in every daemon's command line. */
  readonly marker: string;
}

/** The module's directory name in MODULES_DIR (Deckhouse's <NNN>-<name> layout). */
export const MODULE_DIR_NAME = "900-service-with-healthchecks";

/** Derives the layout of the world of the box in `stateDir`. */
export function worldLayout(stateDir: string): WorldLayout {
  const root = join(stateDir, "cluster");
  return {
    stateDir,
    root,
    stateFile: join(root, "world.json"),
    lockFile: join(root, "lock"),
    addressLockFile: join(root, "addresses.lock"),
    logDir: join(root, "logs"),
    modulesDir: join(root, "modules"),
    moduleDir: join(root, "modules", MODULE_DIR_NAME),
    tmpDir: join(root, "tmp"),
    marker: `${stateDir}/`,
  };
}
