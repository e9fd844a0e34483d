// Background processes of the box: started detached (they outlive the CLI that starts them),
// logging to a file, identified later by pid plus a marker in their command line so a recycled
// pid is never mistaken for ours, and stopped with SIGTERM then SIGKILL.
import { spawn } from "node:child_process";
import { openSync, closeSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** How to start one daemon. */
export interface DaemonSpec {
  /** Absolute path of the binary. */
  readonly binary: string;
  readonly args: readonly string[];
  /** File receiving stdout and stderr (appended). */
  readonly logFile: string;
}

/** Starts a detached daemon and returns its pid. */
export function startDaemon(spec: DaemonSpec): number {
  const log = openSync(spec.logFile, "a");
  try {
    const child = spawn(spec.binary, [...spec.args], {
      detached: true,
      stdio: ["ignore", log, log],
      env: { ...process.env, GOTRACEBACK: "all" },
    });
    if (child.pid === undefined) throw new Error(`could not spawn ${spec.binary}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/**
 * The state letter of a `/proc/<pid>/stat` line (`R`, `S`, `T` stopped, `Z`...): the field after
 * the parenthesised command name, which may itself contain spaces and parentheses.
 */
export function statState(stat: string): string {
  const end = stat.lastIndexOf(")");
  if (end < 0) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  return stat.slice(end + 2, end + 3);
}

/** The state letter of a process; undefined when it is gone. */
export function processState(pid: number): string | undefined {
  try {
    return statState(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * True once `pid` has exited: no such process, or a zombie (Z) or dead (X) one. Unlike
 * `!isOurProcess`, not fooled by the instant of an exec (`ip netns exec` becoming `node`) when
 * the command line is empty.
 */
export function hasExited(pid: number): boolean {
  const state = processState(pid);
  return state === undefined || state === "Z" || state === "X";
}

/**
 * True when `pid` is a live (non-zombie) process whose command line contains `marker` (the state
 * dir path, present in every daemon's flags).
 */
export function isOurProcess(pid: number, marker: string): boolean {
  if (hasExited(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker);
  } catch {
    return false;
  }
}

/** Waits until `pid` is gone (or no longer ours); false on timeout. */
export async function waitForExit(
  pid: number,
  marker: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isOurProcess(pid, marker)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * Stops a daemon: SIGTERM, then SIGKILL after `graceMs`. Returns how it ended: `absent` when it
 * was not running, otherwise the signal that ended it.
 */
export async function stopDaemon(
  pid: number,
  marker: string,
  graceMs: number,
): Promise<"absent" | "SIGTERM" | "SIGKILL"> {
  if (!isOurProcess(pid, marker)) return "absent";
  process.kill(pid, "SIGTERM");
  if (await waitForExit(pid, marker, graceMs)) return "SIGTERM";
  process.kill(pid, "SIGKILL");
  if (await waitForExit(pid, marker, 5000)) return "SIGKILL";
  throw new Error(`process ${pid} survived SIGKILL`);
}

/**
 * Kills a daemon outright (SIGKILL: nothing flushed, no goodbye to its clients), as a crash or an
 * OOM kill would. Returns `absent` when it was not running.
 */
export async function killDaemon(pid: number, marker: string): Promise<"absent" | "SIGKILL"> {
  if (!isOurProcess(pid, marker)) return "absent";
  process.kill(pid, "SIGKILL");
  if (await waitForExit(pid, marker, 5000)) return "SIGKILL";
  throw new Error(`process ${pid} survived SIGKILL`);
}

/** The last `lines` lines of a log file, for error messages. */
export function logTail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
