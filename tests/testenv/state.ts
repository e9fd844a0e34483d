// The record of a running box (`state.json` in its state dir): which ports it took, which
// processes run it and with which options. Written atomically so a reader never sees half a file.
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import type { BoxPorts } from "./components.js";
import type { ToolVersions } from "./layout.js";
import type { NodeNetworkRecord, NodesRecord } from "./nodes/nodes.js";

/** The box's processes, by role. */
export type Component = "etcd" | "apiserver" | "controllerManager";

/** Components in start order; stop in reverse. */
export const COMPONENTS: readonly Component[] = ["etcd", "apiserver", "controllerManager"];

/** Options fixed when the box comes up. */
export interface BoxOptions {
  /** kube-apiserver writes an audit log (request metadata). */
  readonly audit: boolean;
  /** kube-controller-manager runs (garbage collector, namespace and SA controllers). */
  readonly controllerManager: boolean;
  /** Controllers kube-controller-manager runs. */
  readonly controllers: readonly string[];
  /**
   * Real nodes (kubelet, containerd, kube-proxy each in a network namespace) plus kube-scheduler;
   * 0 for a box without nodes.
   */
  readonly nodes: number;
}

/** Contents of `state.json`. */
export interface BoxState {
  readonly schema: 1;
  readonly versions: ToolVersions;
  readonly ports: BoxPorts;
  readonly pids: Partial<Record<Component, number>>;
  readonly options: BoxOptions;
  /** `https://127.0.0.1:<port>`. */
  readonly server: string;
  /** RFC 3339 time the box became ready. */
  readonly startedAt: string;
  /**
   * Components taken down on purpose by `stopComponent` (RFC 3339 time they stopped), which have
   * no pid until `startComponent` (or the next `up`) starts them again on their ports.
   */
  readonly stopped?: Partial<Record<Component, string>>;
  /** The node network (chosen before the API server starts: it listens on its gateway). */
  readonly nodeNetwork?: NodeNetworkRecord;
  /** The nodes' and kube-scheduler's processes, once started. */
  readonly nodes?: NodesRecord;
}

/** Reads `state.json`; undefined when there is none. */
export async function readState(file: string): Promise<BoxState | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`reading ${file} failed`, { cause: err });
  }
  try {
    const state = JSON.parse(text) as BoxState;
    if (state.schema !== 1) throw new Error(`unknown schema ${String(state.schema)}`);
    return state;
  } catch (err) {
    throw new Error(`${file} is not a testenv state file; remove it or run down --purge`, {
      cause: err,
    });
  }
}

/** Writes `state.json` atomically. */
export async function writeState(file: string, state: BoxState): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
}

/** Removes `state.json` (the box is down). */
export async function clearState(file: string): Promise<void> {
  await rm(file, { force: true });
}
