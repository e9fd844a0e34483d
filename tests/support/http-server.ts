// An HTTP/HTTPS server for prober tests, with routes that exercise every branch of the HTTP
// prober: fixed statuses, a redirect (which must not be followed), a large body (which must not
// be buffered), slow headers, an endless trickling body, and an echo of what the probe sent.
// `/health` answers with a status the test switches at run time (setHealth), to drive state
// changes. It records each request and counts TCP connections, to check connection reuse.

import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";

/** A request as the server saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly rawHeaders: readonly string[];
  /** TLS SNI name the client sent (HTTPS only; false when none). */
  readonly servername?: string | false;
}

/** Options of the test server. */
export interface TestHttpServerOptions {
  host?: string;
  /** Serve HTTPS with this certificate and key. */
  tls?: { cert: string; key: string };
  /** Idle keep-alive timeout of the server (Node's default is 5 s). */
  keepAliveTimeoutMs?: number;
}

/** A running test server. */
export interface TestHttpServer {
  readonly host: string;
  readonly port: number;
  readonly requests: SeenRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  /** Sets the status `/health` answers with (initially 200). */
  setHealth(status: number): void;
  close(): Promise<void>;
}

const BIG_BODY = Buffer.alloc(1024 * 1024, 0x61);

/** Starts the server on an ephemeral port. */
export async function startHttpServer(
  options: TestHttpServerOptions = {},
): Promise<TestHttpServer> {
  const host = options.host ?? "127.0.0.1";
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let connections = 0;
  const health = { status: 200 };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const socket = req.socket as Socket & { servername?: string | false };
    requests.push({
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      servername: options.tls === undefined ? undefined : socket.servername,
    });
    if (req.url === "/health") reply(res, health.status, "health\n");
    else route(req, res, timers);
  };
  const server: Server =
    options.tls === undefined
      ? createHttpServer(handler)
      : createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler);
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 5_000;
  const connectionEvent = options.tls === undefined ? "connection" : "secureConnection";
  server.on(connectionEvent, (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // TLS handshakes that fail (bad client trust) must not crash the test process.
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port: 0 }, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no HTTP address bound");
  return {
    host,
    port: address.port,
    requests,
    connections: () => connections,
    setHealth: status => {
      health.status = status;
    },
    close: async () => {
      for (const timer of timers) clearInterval(timer);
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}

function route(req: IncomingMessage, res: ServerResponse, timers: Set<NodeJS.Timeout>): void {
  const url = req.url ?? "/";
  const status = /^\/status\/(\d{3})$/.exec(url);
  if (status !== null) return reply(res, Number(status[1]), "status\n");
  const slow = /^\/slow\/(\d+)$/.exec(url);
  if (slow !== null) {
    const timer = setTimeout(() => reply(res, 200, "slow\n"), Number(slow[1]));
    timers.add(timer);
    return;
  }
  switch (url) {
    case "/redirect":
      res.writeHead(302, { location: "/status/500" }).end();
      return;
    case "/big":
      res.writeHead(200, { "content-length": BIG_BODY.length }).end(BIG_BODY);
      return;
    case "/trickle":
      return trickle(res, timers);
    case "/echo":
      return reply(res, 200, JSON.stringify({ method: req.method, url, headers: req.headers }));
    default:
      return reply(res, 200, "ok\n");
  }
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    "content-type": "text/plain",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

function trickle(res: ServerResponse, timers: Set<NodeJS.Timeout>): void {
  res.writeHead(200, { "content-type": "text/plain" });
  const timer = setInterval(() => res.write("."), 50);
  timers.add(timer);
  res.on("close", () => {
    clearInterval(timer);
    timers.delete(timer);
  });
}
