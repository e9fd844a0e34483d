// A TCP proxy on loopback that can cut its clients off: every open connection is reset and new
// ones are refused until `restore`. Put in front of the real kube-apiserver, it gives a client
// what a network partition or a control-plane load balancer failing over gives it, while the
// API server itself (and its watch cache) lives on.

import { createConnection, createServer, type Server, type Socket } from "node:net";
import { once } from "node:events";

/** A running proxy. */
export interface TcpProxy {
  /** The port clients connect to (kept across `cut` and `restore`). */
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  /** Resets every open connection and refuses new ones. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy from an ephemeral loopback port to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let accepted = 0;
  const listen = async (port: number): Promise<Server> => {
    const server = createServer(client => {
      accepted += 1;
      const upstream = createConnection(target);
      for (const socket of [client, upstream]) {
        open.add(socket);
        socket.on("close", () => open.delete(socket));
        socket.on("error", () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    return server;
  };
  let server: Server | undefined = await listen(0);
  const port = (server.address() as { port: number }).port;
  const stop = async (): Promise<void> => {
    const closing = server;
    server = undefined;
    if (!closing) return;
    const closed = new Promise(resolve => closing.close(resolve));
    for (const socket of open) socket.resetAndDestroy();
    await closed;
  };
  return {
    port,
    accepted: () => accepted,
    cut: stop,
    restore: async () => {
      server ??= await listen(port);
    },
    close: stop,
  };
}
