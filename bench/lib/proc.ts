// CPU time and memory of a process from Linux's /proc, the way the benchmark measures every
// process it compares (the agent driver, HAProxy, PostgreSQL): utime+stime from
// /proc/<pid>/stat (all threads of the process, so GC and libuv threads count too; cutime+cstime
// add the children a process has waited for, which is how PostgreSQL's per-connection backends
// are charged to the postmaster) and VmRSS/VmHWM from /proc/<pid>/status. The parsers are pure;
// the readers are thin.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** CPU counters of /proc/<pid>/stat, in clock ticks. */
export interface ProcStat {
  readonly utime: number;
  readonly stime: number;
  /** Waited-for children's user and system time. */
  readonly cutime: number;
  readonly cstime: number;
}

/** Memory of /proc/<pid>/status, in KiB. */
export interface ProcMemory {
  /** Resident set size now. */
  readonly rssKiB: number;
  /** Peak resident set size ("high water mark"). */
  readonly hwmKiB: number;
}

/**
 * Parses the text of /proc/<pid>/stat. The second field (the command name, in parentheses) may
 * itself hold spaces and parentheses, so fields are counted from the last `)`.
 */
export function parseStat(text: string): ProcStat {
  const close = text.lastIndexOf(")");
  if (close < 0)
    throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  // After ")": field 3 (state) is index 0, so field k is index k - 3.
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const field = (k: number): number => {
    const value = Number(fields[k - 3]);
    if (!Number.isFinite(value)) throw new Error(`/proc/<pid>/stat field ${k} is not a number`);
    return value;
  };
  return { utime: field(14), stime: field(15), cutime: field(16), cstime: field(17) };
}

/** Parses VmRSS and VmHWM out of /proc/<pid>/status. */
export function parseStatus(text: string): ProcMemory {
  const kib = (key: string): number => {
    const match = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, "m").exec(text);
    if (match === null) throw new Error(`/proc/<pid>/status has no ${key}`);
    return Number(match[1]);
  };
  return { rssKiB: kib("VmRSS"), hwmKiB: kib("VmHWM") };
}

let ticksPerSecond: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, 100 on every mainstream Linux). */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    } catch {
      ticksPerSecond = 100;
    }
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/**
 * CPU seconds a process used so far: its own user+system time, plus its waited-for children's
 * when `withChildren` (PostgreSQL's postmaster and the backends it forks).
 */
export function cpuSeconds(pid: number, withChildren = false): number {
  let stat: ProcStat;
  try {
    stat = parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch (error) {
    throw new Error(`cannot read the CPU time of process ${pid}`, { cause: error });
  }
  const own = stat.utime + stat.stime;
  const children = withChildren ? stat.cutime + stat.cstime : 0;
  return (own + children) / clockTicks();
}

/** Current and peak resident memory of a process, in MiB. */
export function memoryMiB(pid: number): { rssMiB: number; peakMiB: number } {
  let memory: ProcMemory;
  try {
    memory = parseStatus(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch (error) {
    throw new Error(`cannot read the memory of process ${pid}`, { cause: error });
  }
  return { rssMiB: memory.rssKiB / 1024, peakMiB: memory.hwmKiB / 1024 };
}
