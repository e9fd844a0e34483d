// Freezing a box's kube-apiserver the way an outage looks from its clients: SIGSTOP keeps the
// process and its listening socket, so connections are accepted by the kernel and requests sit
// unanswered until their clients time out — a hung or partitioned control plane, the harder case
// for clients than a refused connection. SIGCONT ends the outage; requests still queued on open
// connections are then served, as after a real stall. The process is found through the box's
// state (testenv `status`), checked to be this box's, and resumed on process exit should the
// scenario die while it is frozen.
import { setTimeout as sleep } from "node:timers/promises";
import { processState } from "../../testenv/daemon.js";
import { status } from "../../testenv/index.js";

export { statState } from "../../testenv/daemon.js";

/** A frozen API server. */
export interface FrozenApiServer {
  readonly pid: number;
  /** When it was stopped (ms since the epoch). */
  readonly frozenAt: number;
  /** Resumes it (idempotent); resolves to when it was resumed (ms since the epoch). */
  resume(): Promise<number>;
}

async function waitState(pid: number, want: (s: string | undefined) => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!want(processState(pid))) {
    if (Date.now() >= deadline)
      throw new Error(`kube-apiserver ${pid} is in state ${processState(pid) ?? "gone"}`);
    await sleep(10);
  }
}

/** The pid of the running kube-apiserver of the box in `stateDir`. */
export async function apiServerPid(stateDir: string): Promise<number> {
  const box = await status(stateDir);
  const apiserver = box.processes.find(p => p.component === "apiserver");
  if (!apiserver?.alive || apiserver.pid === undefined) {
    throw new Error(`the box in ${stateDir} has no running kube-apiserver (${box.readyz})`);
  }
  return apiserver.pid;
}

/** Stops (SIGSTOP) the kube-apiserver of the box in `stateDir` until `resume()`. */
export async function freezeApiServer(stateDir: string): Promise<FrozenApiServer> {
  const pid = await apiServerPid(stateDir);
  const onExit = (): void => {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // already gone
    }
  };
  process.on("exit", onExit);
  process.kill(pid, "SIGSTOP");
  await waitState(pid, s => s === "T");
  const frozenAt = Date.now();
  let resumedAt: number | undefined;
  return {
    pid,
    frozenAt,
    async resume() {
      if (resumedAt !== undefined) return resumedAt;
      process.kill(pid, "SIGCONT");
      await waitState(pid, s => s !== "T");
      resumedAt = Date.now();
      process.off("exit", onExit);
      return resumedAt;
    },
  };
}
