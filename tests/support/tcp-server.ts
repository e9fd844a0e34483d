// A TCP listener for prober tests: accepts connections, counts them and records every byte a
// client sends (a TCP probe must send none).

import { createServer, type Server, type Socket } from "node:net";

/** A running test TCP server. */
export interface TestTcpServer {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  /** Bytes received from clients so far. */
  readonly bytesReceived: () => number;
  /** Connections closed so far (by either side). */
  readonly closedConnections: () => number;
  close(): Promise<void>;
}

/** Starts a TCP server on `host` (default 127.0.0.1) and `port` (default: an ephemeral one). */
export async function startTcpServer(host = "127.0.0.1", port = 0): Promise<TestTcpServer> {
  let accepted = 0;
  let closed = 0;
  let bytes = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer(socket => {
    accepted += 1;
    sockets.add(socket);
    socket.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      closed += 1;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address bound");
  return {
    host,
    port: address.port,
    accepted: () => accepted,
    bytesReceived: () => bytes,
    closedConnections: () => closed,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}
