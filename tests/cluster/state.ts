// The record of a running world (`<state dir>/cluster/world.json`): the pod network it built,
// its fake nodes, and the processes it started (addon-operator, the ModuleConfig bridge, the
// DaemonSet rollout stand-in, one agent per node, backends), so any process — a jest worker, the
// demo, `scripts/demo down`, the rollout stand-in — can find, restart or stop them.
import type { ModuleImages } from "./module/stage.js";
import { readFile, rename, writeFile } from "node:fs/promises";
import type { PodNetworkPlan } from "./netns/plan.js";

/** A daemon the world started. */
export interface DaemonRecord {
  readonly pid: number;
  readonly logFile: string;
}

/** The addon-operator process. */
export interface OperatorRecord extends DaemonRecord {
  /** Its /healthz /readyz /metrics /metrics/hooks port on 127.0.0.1. */
  readonly port: number;
  /** Its debug API's unix socket (queues, modules). */
  readonly debugSocket: string;
}

/** One agent process. */
export interface AgentRecord extends DaemonRecord {
  readonly node: string;
  readonly healthPort: number;
  readonly metricsPort: number;
  /** The chart's agent arguments it was started with. */
  readonly chartArgs: readonly string[];
  /**
   * Hash of the DaemonSet pod template it was started from (world/daemonset-plan.ts); the
   * rollout stand-in replaces agents whose hash is not the DaemonSet's. Absent in records
   * written before the stand-in existed (such agents count as out of date).
   */
  readonly templateHash?: string;
  /** When it was started (RFC 3339, ms). */
  readonly startedAt?: string;
  /** When its /readyz first answered 200, as the rollout stand-in saw it (RFC 3339, ms). */
  readonly readyAt?: string;
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
  /** The fake nodes' shared pod network; absent when the box runs real nodes. */
  readonly network?: PodNetworkPlan;
  /** Fake nodes; empty when the box runs real nodes. */
  readonly nodes: readonly NodeRecord[];
  /** The module's images as the real nodes' containerd knows them (real nodes only). */
  readonly images?: ModuleImages;
  readonly operator?: OperatorRecord;
  /** The ModuleConfig bridge (deckhouse/bridge-main.ts). */
  readonly bridge?: DaemonRecord;
  /** The agent DaemonSet's rollout stand-in (world/daemonset-controller.ts). */
  readonly daemonSetController?: DaemonRecord;
  readonly agents: Readonly<Record<string, AgentRecord>>;
  readonly backends: Readonly<Record<string, BackendRecord>>;
  /** Module settings last applied through the ModuleConfig. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly startedAt: string;
}

/** The fake nodes' pod network; throws on a world of real nodes, which has none. */
export function podNetworkOf(state: Pick<WorldState, "network">): PodNetworkPlan {
  if (!state.network) {
    throw new Error("this world runs real nodes: it has no fake pod network (use real pods)");
  }
  return state.network;
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
