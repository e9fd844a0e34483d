// The workloads behind fake pods that are not databases: an HTTP server whose health endpoint
// answers a status the test sets (the seed's web server on 8080 with /healthz), and an SMTP-like
// TCP server that greets every connection with a 220 banner (the seed's SMTP on 2525) and answers
// EHLO and QUIT (smtp.ts), or is set to be wedged (accepts, never greets) or to refuse; the gRPC
// health server is in grpc-health.ts. Each binds
// a pod address inside the pod network namespace and can be stopped and started again, so a test
// makes one Service fail and recover while the other stays healthy.
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import { hostname } from "node:os";
import type { GrpcServingStatus } from "./grpc-health.js";
import { serveSmtp, type SmtpMode } from "./smtp.js";

/** What a server is, for status answers. */
export interface ServerInfo {
  readonly name: string;
  readonly kind: "http" | "tcp" | "grpc";
  readonly host: string;
  readonly port: number;
  readonly listening: boolean;
  /** HTTP only: the status the health path answers. */
  readonly healthStatus?: number;
  /** HTTP only: every path answers healthStatus, not just the health path (a failing app). */
  readonly failingAll?: boolean;
  /** TCP only: how new connections are treated (smtp.ts). */
  readonly smtpMode?: SmtpMode;
  /** gRPC only: the health status of each service name ("" = the server's overall health). */
  readonly grpcHealth?: Readonly<Record<string, GrpcServingStatus>>;
  /** Requests (HTTP) or connections (TCP) served. */
  readonly hits: number;
}

/** A stoppable, restartable server bound to one address. */
export interface PodServer {
  readonly info: () => ServerInfo;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * HTTP only: the status of the health path from now on; with `allPaths`, of every path (the
   * application itself fails, as in seed 002's experiment).
   */
  setHealth(status: number, allPaths?: boolean): void;
  /** TCP only: how connections accepted from now on are treated (ready, wedged, refusing). */
  setSmtpMode(mode: SmtpMode): void;
  /** gRPC only (grpc-health.ts): the health status of `service` (default "") from now on. */
  setGrpcHealth(status: GrpcServingStatus, service?: string): void;
}

function listen(server: HttpServer | TcpServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function close(server: HttpServer | TcpServer, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise(resolve => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

/**
 * An HTTP server: `healthPath` answers the settable status, every other path 200 (or that status
 * too, when failing all paths). Bodies name the server and the host (the pod), so a client
 * through a Service sees which backend answered.
 */
export function httpServer(opts: {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly healthPath: string;
}): PodServer {
  let health = 200;
  let failingAll = false;
  let hits = 0;
  let server: HttpServer | undefined;
  const sockets = new Set<Socket>();
  return {
    info: () => ({
      name: opts.name,
      kind: "http",
      host: opts.host,
      port: opts.port,
      listening: server?.listening ?? false,
      healthStatus: health,
      failingAll,
      hits,
    }),
    async start() {
      if (server?.listening) return;
      server = createHttpServer((req, res) => {
        hits += 1;
        const status = failingAll || req.url?.split("?")[0] === opts.healthPath ? health : 200;
        const body = `${opts.name} ${hostname()}: ${status === 200 ? "ok" : "unhealthy"}\n`;
        res.writeHead(status, {
          "content-type": "text/plain",
          "content-length": Buffer.byteLength(body),
        });
        res.end(body);
      });
      server.keepAliveTimeout = 5_000;
      server.on("connection", (s: Socket) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
      });
      await listen(server, opts.host, opts.port);
    },
    async stop() {
      if (server) await close(server, sockets);
    },
    setHealth(status: number, allPaths = false) {
      health = status;
      failingAll = allPaths && status !== 200;
    },
    setSmtpMode() {
      throw new Error(`${opts.name} is an HTTP server: set its health status instead`);
    },
    setGrpcHealth() {
      throw new Error(`${opts.name} is an HTTP server: set its health status instead`);
    },
  };
}

/**
 * An SMTP-like TCP server: greets with `220 <host> <name> ESMTP ready`, answers EHLO with 250 and
 * QUIT with 221 (smtp.ts); `setSmtpMode` wedges it or makes it refuse, and back.
 */
export function smtpLikeServer(opts: {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}): PodServer {
  let hits = 0;
  let mode: SmtpMode = "ready";
  let server: TcpServer | undefined;
  const sockets = new Set<Socket>();
  return {
    info: () => ({
      name: opts.name,
      kind: "tcp",
      host: opts.host,
      port: opts.port,
      listening: server?.listening ?? false,
      smtpMode: mode,
      hits,
    }),
    async start() {
      if (server?.listening) return;
      server = createTcpServer(socket => {
        hits += 1;
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => undefined);
        socket.setTimeout(10_000, () => socket.destroy());
        // The host (the pod) first, as an SMTP greeting names its domain: clients see who answered.
        serveSmtp(socket, mode, { host: hostname(), name: opts.name });
      });
      await listen(server, opts.host, opts.port);
    },
    async stop() {
      if (server) await close(server, sockets);
    },
    setHealth() {
      throw new Error(`${opts.name} is a TCP server: stop it or set its SMTP mode instead`);
    },
    setSmtpMode(next: SmtpMode) {
      mode = next;
    },
    setGrpcHealth() {
      throw new Error(`${opts.name} is a TCP server: stop it or set its SMTP mode instead`);
    },
  };
}
