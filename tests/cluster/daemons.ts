// Background processes of the world (operator, agents, backends): started detached so they
// outlive the process that starts them (the demo leaves the world running), logging to a file,
// and recognised later by pid plus the state-dir marker in their command line, the way testenv
// manages its own daemons (whose helpers this reuses).
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { hasExited, isOurProcess, killDaemon, logTail, stopDaemon } from "../testenv/daemon.js";

export { hasExited, isOurProcess, killDaemon, logTail, stopDaemon };

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
