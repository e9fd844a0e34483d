// Makes sure PostgreSQL servers started by tests never outlive them, however the test process
// ends: destroy() in the normal case; a process 'exit' hook when a test throws or calls exit;
// and, for SIGKILL or a crash where no JavaScript runs any more, a watchdog shell process per
// cluster that notices its parent is gone and stops the cluster's servers (pg_ctl immediate)
// and removes its directory.

import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Something that can clean up synchronously at process exit. */
export interface EmergencyCleanup {
  emergencyCleanup(): void;
}

const registered = new Set<EmergencyCleanup>();
let exitHookInstalled = false;

/** Registers `owner` for cleanup at process exit (until unregistered). */
export function registerForExit(owner: EmergencyCleanup): void {
  registered.add(owner);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const entry of registered) entry.emergencyCleanup();
  });
}

/** Forgets `owner` (after its normal teardown). */
export function unregisterForExit(owner: EmergencyCleanup): void {
  registered.delete(owner);
}

const WATCHDOG = `
parent="$1"; base="$2"; pgctl="$3"; shift 3
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
for data in "$base"/*/data; do
  [ -f "$data/postmaster.pid" ] && "$@" "$pgctl" stop -D "$data" -m immediate -w -t 10 >/dev/null 2>&1
done
rm -rf "$base"
`;

/**
 * Starts the watchdog for a cluster in `baseDir`; `runAs` prefixes pg_ctl (e.g. runuser -u
 * postgres --). Kill the returned process in the normal teardown; it never keeps the test
 * process alive.
 */
export function startWatchdog(
  baseDir: string,
  pgCtl: string,
  runAs: readonly string[],
): ChildProcess {
  const watchdog = spawn(
    "sh",
    ["-c", WATCHDOG, "swh-pg-watchdog", String(process.pid), baseDir, pgCtl, ...runAs],
    {
      stdio: "ignore",
      detached: true,
    },
  );
  watchdog.unref();
  return watchdog;
}

/** Ends a watchdog (SIGKILL: a shell waiting on `sleep` would defer SIGTERM) and waits for it. */
export async function stopWatchdog(watchdog: ChildProcess | undefined): Promise<void> {
  if (watchdog === undefined || watchdog.exitCode !== null || watchdog.signalCode !== null) return;
  const exited = once(watchdog, "exit");
  // The watchdog is unref'd so it never keeps a test process alive; while we wait for its exit
  // it must, or a process with nothing else to do would end before the 'exit' event.
  watchdog.ref();
  watchdog.kill("SIGKILL");
  await exited;
}

/**
 * Makes sure no postmaster of `dataDir` survives: SIGQUIT (immediate shutdown, children exit
 * too), a short wait, then SIGKILL for the postmaster and any child still around. Synchronous,
 * so it also works from the process 'exit' hook. Checks the pid still is a postgres process.
 */
export function killPostmaster(dataDir: string): void {
  const pid = postmasterPid(dataDir);
  if (pid === undefined || !isPostgresProcess(pid)) return;
  signal(pid, "SIGQUIT");
  const until = Date.now() + 3_000;
  while (isPostgresProcess(pid) && Date.now() < until) sleepSync(50);
  if (!isPostgresProcess(pid)) return;
  for (const child of childrenOf(pid)) signal(child, "SIGKILL");
  signal(pid, "SIGKILL");
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const first = readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0] ?? "";
    const pid = Number.parseInt(first, 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isPostgresProcess(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ..." — a zombie (Z) has exited already.
    return /\((postgres|postmaster)\) [^Z]/.test(stat);
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return children;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
