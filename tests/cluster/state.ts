// The record of a running world (`<state dir>/cluster/world.json`): the images the nodes run and
// the processes it started outside the cluster (addon-operator and the ModuleConfig bridge, as the
// deckhouse-controller would run them), so any process — a jest worker, the demo,
// `scripts/demo down` — can find, restart or stop them. Everything else runs as pods on the box's
// real nodes and goes with them.
import type { ModuleImages } from "./module/stage.js";
import { readFile, rename, writeFile } from "node:fs/promises";

/** A daemon the world started. */
export interface DaemonRecord {
  readonly pid: number;
  readonly logFile: string;
  /** The API server it was started against (a box restarted on other ports needs a new one). */
  readonly server?: string;
}

/** The addon-operator process. */
export interface OperatorRecord extends DaemonRecord {
  /** Its /healthz /readyz /metrics /metrics/hooks port on 127.0.0.1. */
  readonly port: number;
  /** Its debug API's unix socket (queues, modules). */
  readonly debugSocket: string;
}

/** Contents of world.json. */
export interface WorldState {
  readonly schema: 1;
  /** The module's images as the nodes' containerd knows them. */
  readonly images?: ModuleImages;
  readonly operator?: OperatorRecord;
  /** The ModuleConfig bridge (deckhouse/bridge-main.ts). */
  readonly bridge?: DaemonRecord;
  /** Module settings last applied through the ModuleConfig. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly startedAt: string;
}

/** Reads world.json; undefined when there is none. */
export async function readWorldState(file: string): Promise<WorldState | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`reading ${file} failed`, { cause: err });
  }
  const state = JSON.parse(text) as WorldState;
  if (state.schema !== 1) throw new Error(`${file}: unknown schema ${String(state.schema)}`);
  return state;
}

/** Writes world.json atomically. */
export async function writeWorldState(file: string, state: WorldState): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
}
