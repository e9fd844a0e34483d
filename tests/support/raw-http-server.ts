// A deliberately minimal HTTP/1.1 server over raw TCP, for the one case Node's http server
// cannot produce on demand: a kept-alive connection that the server resets when the client
// reuses it (the keep-alive race every pooling client must survive). The first request on a
// connection gets `200 ok` with keep-alive; any later request on it gets an RST.

import { createServer, type Socket } from "node:net";

/** A running raw server. */
export interface ResettingHttpServer {
  readonly port: number;
  connections(): number;
  close(): Promise<void>;
}

const RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok";

/** Starts the server on 127.0.0.1 and an ephemeral port. */
export async function startResettingHttpServer(): Promise<ResettingHttpServer> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer(socket => {
    connections += 1;
    sockets.add(socket);
    let served = 0;
    let buffered = "";
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("latin1");
      if (!buffered.includes("\r\n\r\n")) return;
      buffered = "";
      served += 1;
      if (served === 1) socket.write(RESPONSE);
      else socket.resetAndDestroy();
    });
  });
  await new Promise<void>(resolve => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no address bound");
  return {
    port: address.port,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}
