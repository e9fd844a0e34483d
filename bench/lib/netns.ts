// A private network namespace for the capacity benchmark: only loopback, up. Probes, HAProxy
// checks and targets all run inside it, which (1) keeps the rest of the machine's traffic out of
// the kernel's TCP counters, so /proc/<pid>/net/snmp counts exactly the connections the measured
// process opened (HAProxy's TCP checks never reach the targets' accept(): it resets right after
// the handshake), and (2) keeps the benchmark's tens of thousands of sockets out of everybody
// else's way. Needs root and iproute2; without them the suite runs in the current namespace.

import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A namespace created by createNetns. */
export interface Netns {
  readonly name: string;
  /** Command prefix that runs a program inside it. */
  readonly prefix: readonly string[];
}

async function ip(args: readonly string[]): Promise<void> {
  try {
    await run("ip", [...args], { timeout: 30_000 });
  } catch (error) {
    const stderr = ((error as { stderr?: string }).stderr ?? "").trim();
    throw new Error(`ip ${args.join(" ")} failed: ${stderr}`, { cause: error });
  }
}

/** Creates namespace `name` with loopback up (removing a leftover of the same name first). */
export async function createNetns(name: string): Promise<Netns> {
  await ip(["netns", "del", name]).catch(() => undefined);
  await ip(["netns", "add", name]);
  try {
    await ip(["-n", name, "link", "set", "lo", "up"]);
  } catch (error) {
    await ip(["netns", "del", name]).catch(() => undefined);
    throw error;
  }
  return { name, prefix: ["ip", "netns", "exec", name] };
}

/** Deletes the namespace (processes in it must have exited). */
export async function deleteNetns(netns: Netns): Promise<void> {
  await ip(["netns", "del", netns.name]);
}

/** TCP counters of /proc/net/snmp that the benchmark reads. */
export interface TcpCounters {
  /** connect() calls that sent a SYN. */
  readonly activeOpens: number;
  /** Connections accepted by listeners. */
  readonly passiveOpens: number;
}

/** Parses the `Tcp:` header and value lines of /proc/net/snmp. */
export function parseSnmpTcp(text: string): TcpCounters {
  const lines = text.split("\n").filter(l => l.startsWith("Tcp:"));
  const [header, values] = lines;
  if (header === undefined || values === undefined)
    throw new Error("/proc/net/snmp has no Tcp lines");
  const names = header.split(/\s+/).slice(1);
  const numbers = values.split(/\s+/).slice(1).map(Number);
  const get = (key: string): number => {
    const value = numbers[names.indexOf(key)];
    if (value === undefined || !Number.isFinite(value)) throw new Error(`no Tcp ${key} in snmp`);
    return value;
  };
  return { activeOpens: get("ActiveOpens"), passiveOpens: get("PassiveOpens") };
}

/** The TCP counters of the network namespace process `pid` lives in. */
export async function tcpCounters(pid: number): Promise<TcpCounters> {
  return parseSnmpTcp(await readFile(`/proc/${pid}/net/snmp`, "utf8"));
}
