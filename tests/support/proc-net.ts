// Reads the kernel's TCP socket tables (/proc/net/tcp and tcp6) to count sockets in a given
// state on a port: lets tests prove that probes leave no TIME_WAIT behind, on either end or on
// the client's end alone.

import { readFile } from "node:fs/promises";

/** Kernel TCP states, as hex codes in /proc/net/tcp. */
export const TCP_STATE = { ESTABLISHED: "01", TIME_WAIT: "06" } as const;

/** Which sockets to count besides their state and port. */
export interface SocketFilter {
  /**
   * Where the port must be: at either end (default), or at the remote end only, which counts a
   * client's connections to a server on that port and not the server's own sockets.
   */
  readonly side?: "either" | "remote";
  /** Only sockets whose remote address is IPv4 and starts with this, e.g. `127.3.`. */
  readonly remoteIpPrefix?: string;
}

/** `0100007F:1F90` (IPv4 little-endian hex, port hex) to its dotted address; undefined for IPv6. */
function ipv4Of(endpoint: string): string | undefined {
  const hex = endpoint.split(":")[0] ?? "";
  if (hex.length !== 8) return undefined;
  const bytes = [6, 4, 2, 0].map(i => parseInt(hex.slice(i, i + 2), 16));
  return bytes.join(".");
}

/** Number of sockets in `state` with `port` at the end `filter` says (IPv4 and IPv6). */
export async function countTcpSockets(
  port: number,
  state: string,
  filter: SocketFilter = {},
): Promise<number> {
  const portSuffix = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  let count = 0;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(file, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const [, local, remote, st] = line.trim().split(/\s+/);
      if (st !== state || local === undefined || remote === undefined) continue;
      const remoteHasPort = remote.endsWith(portSuffix);
      if (!remoteHasPort && (filter.side === "remote" || !local.endsWith(portSuffix))) continue;
      const prefix = filter.remoteIpPrefix;
      if (prefix !== undefined && !(ipv4Of(remote)?.startsWith(prefix) ?? false)) continue;
      count += 1;
    }
  }
  return count;
}
