// Reads the kernel's TCP socket tables (/proc/net/tcp and tcp6) to count sockets in a given
// state on a port: lets tests prove that probes leave no TIME_WAIT behind.

import { readFile } from "node:fs/promises";

/** Kernel TCP states, as hex codes in /proc/net/tcp. */
export const TCP_STATE = { ESTABLISHED: "01", TIME_WAIT: "06" } as const;

/** Number of sockets in `state` whose local or remote port is `port` (IPv4 and IPv6). */
export async function countTcpSockets(port: number, state: string): Promise<number> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  let count = 0;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(file, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, remote, st] = [fields[1], fields[2], fields[3]];
      if (st !== state || local === undefined || remote === undefined) continue;
      if (local.endsWith(`:${hexPort}`) || remote.endsWith(`:${hexPort}`)) count += 1;
    }
  }
  return count;
}
