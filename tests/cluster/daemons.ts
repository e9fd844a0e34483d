// Background processes of the world (operator, agents, backends): started detached so they
// outlive the process that starts them (the demo leaves the world running), logging to a file,
// and recognised later by pid plus the state-dir marker in their command line, the way testenv
// manages its own daemons (whose helpers this reuses).
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { isOurProcess, logTail, stopDaemon } from "../testenv/daemon.js";

export { isOurProcess, logTail, stopDaemon };

/** How to start one daemon. */
export interface WorldDaemonSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** Added to the environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Appended stdout and stderr. */
  readonly logFile: string;
  readonly cwd?: string;
}

/** Starts a detached daemon and returns its pid. */
export function startWorldDaemon(spec: WorldDaemonSpec): number {
  const log = openSync(spec.logFile, "a");
  try {
    const child = spawn(spec.command, [...spec.args], {
      detached: true,
      stdio: ["ignore", log, log],
      env: { ...process.env, ...spec.env },
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
    });
    if (child.pid === undefined) throw new Error(`could not spawn ${spec.command}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** Sends SIGKILL to a daemon of ours and waits until it is gone. */
export async function killDaemon(pid: number, marker: string): Promise<void> {
  if (!isOurProcess(pid, marker)) return;
  process.kill(pid, "SIGKILL");
  const deadline = Date.now() + 5_000;
  while (isOurProcess(pid, marker)) {
    if (Date.now() >= deadline) throw new Error(`process ${pid} survived SIGKILL`);
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

/**
 * True once `pid` has exited (no such process, or a zombie). Unlike `!isOurProcess`, not fooled
 * by the instant of an exec (`ip netns exec` becoming `node`) when the command line is empty.
 */
export function hasExited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state === "Z" || state === "X";
  } catch {
    return true;
  }
}
