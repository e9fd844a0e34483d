// What the numbers were measured on: CPU model and count, memory, kernel, OS, Node version and
// the load average when a part started and ended (the machine may be shared; numbers taken under
// load are noisy, and the report says so).

import { readFileSync } from "node:fs";
import os from "node:os";

/** The machine and its load. */
export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly os: string;
  readonly node: string;
  readonly haproxy?: string;
  readonly postgres?: string;
}

/** Load averages (1, 5, 15 min) at a moment. */
export interface Load {
  readonly at: string;
  readonly load1: number;
  readonly load5: number;
  readonly load15: number;
}

function osName(): string {
  try {
    const text = readFileSync("/etc/os-release", "utf8");
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

/** Describes this machine (tool versions are filled in by the parts that use them). */
export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    os: osName(),
    node: process.version,
  };
}

/** The load average now. */
export function loadNow(): Load {
  const [load1 = 0, load5 = 0, load15 = 0] = os.loadavg();
  const r = (v: number): number => Math.round(v * 100) / 100;
  return { at: new Date().toISOString(), load1: r(load1), load5: r(load5), load15: r(load15) };
}
