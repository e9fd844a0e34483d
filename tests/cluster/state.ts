// The record of a running world (`<state dir>/cluster/world.json`): the pod network it built,
// its fake nodes, and the processes it started (operator, one agent per node, backends), so any
// process — a jest worker, the demo, `scripts/demo down` — can find, restart or stop them.
import { readFile, rename, writeFile } from "node:fs/promises";
import type { PodNetworkPlan } from "./netns/plan.js";

/** A daemon the world started. */
export interface DaemonRecord {
  readonly pid: number;
  readonly logFile: string;
}

/** The operator stand-in process. */
export interface OperatorRecord extends DaemonRecord {
  /** Its /healthz /readyz /status /metrics port on 127.0.0.1. */
  readonly port: number;
}

/** One agent process. */
export interface AgentRecord extends DaemonRecord {
  readonly node: string;
  readonly healthPort: number;
  readonly metricsPort: number;
  /** The chart's agent arguments it was started with (a change restarts it). */
  readonly chartArgs: readonly string[];
}

/** One backend daemon. */
export interface BackendRecord extends DaemonRecord {
  readonly name: string;
  readonly socket: string;
}

/** A fake node. */
export interface NodeRecord {
  readonly name: string;
  /** 1-based; picks the node's pod range. */
  readonly index: number;
}

/** Contents of world.json. */
export interface WorldState {
  readonly schema: 1;
  readonly network: PodNetworkPlan;
  readonly nodes: readonly NodeRecord[];
  readonly operator?: OperatorRecord;
  readonly agents: Readonly<Record<string, AgentRecord>>;
  readonly backends: Readonly<Record<string, BackendRecord>>;
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
