// Probe targets for the benchmarks (bundled to build/bench/targets.mjs): a separate process that
// listens on many addresses at once, plain TCP (accepts, reads, never answers), HTTP (200 "ok",
// keep-alive), HTTPS (the same over TLS, with a certificate the orchestrator made), SMTP (a
// greeting, then `250` to EHLO and `221` to QUIT, counted as requests: EHLOs) or GRPC (a real
// gRPC health server answering SERVING, grpc-targets.ts; calls counted as requests), and counts
// what arrives, so probe rates can be checked on the server side for the
// agent and for HAProxy alike. It runs apart from the measured process so the agent's CPU time is
// the agent's own. The cluster benchmark starts it inside the pod network namespace and closes
// and reopens listeners to make backends fail and recover.
//
// argv[2]: JSON {mode: "TCP"|"HTTP"|"HTTPS"|"SMTP"|"GRPC", port, addresses?: string[], first?: number,
// count?: number, tls?: {certPath, keyPath}} (explicit addresses, or capacity targets
// first..first+count-1 of addresses.ts; tls for HTTPS)
// stdin commands (JSON lines) and replies:
//   {cmd:"count"}                    -> {event:"count", connections, requests, at}
//   {cmd:"close", addresses:[...]}   -> {event:"closed", n, at}   (connections are then refused)
//   {cmd:"open", addresses:[...]}    -> {event:"opened", n, at}
// On start: {event:"ready", listening, failed, firstError?}.

import { readFileSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { emit, onCommands, type Message } from "../lib/child.js";
import { targetAddresses } from "./addresses.js";
import { startGrpcTargets } from "./grpc-targets.js";

interface TargetsConfig {
  readonly mode: "TCP" | "HTTP" | "HTTPS" | "SMTP" | "GRPC";
  readonly port: number;
  readonly addresses?: readonly string[];
  readonly first?: number;
  readonly count?: number;
  readonly tls?: { readonly certPath: string; readonly keyPath: string };
}

const config = JSON.parse(process.argv[2] ?? "{}") as TargetsConfig;
const addresses = config.addresses ?? targetAddresses(config.count ?? 0, config.first ?? 0);
const servers = new Map<string, Server | HttpServer>();
let connections = 0;
let requests = 0;

const tls =
  config.tls === undefined
    ? undefined
    : { cert: readFileSync(config.tls.certPath), key: readFileSync(config.tls.keyPath) };

function respond(_request: IncomingMessage, response: ServerResponse): void {
  requests += 1;
  response.writeHead(200, { "content-type": "text/plain", "content-length": "2" });
  response.end("ok");
}

/** A minimal SMTP session: greet, answer EHLO/HELO with 250 and QUIT with 221 (then close). */
function smtpSession(socket: Socket): void {
  let buffered = "";
  socket.setEncoding("latin1");
  socket.write("220 targets.bench.example ESMTP\r\n");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
      const verb = buffered.slice(0, end).trim().slice(0, 4).toUpperCase();
      buffered = buffered.slice(end + 1);
      if (verb === "QUIT") {
        socket.end("221 bye\r\n");
        return;
      }
      if (verb === "EHLO" || verb === "HELO") requests += 1;
      socket.write(
        verb === "EHLO" || verb === "HELO" ? "250 targets.bench.example\r\n" : "250 ok\r\n",
      );
    }
  });
}

function newServer(): Server | HttpServer {
  if (config.mode === "HTTP" || config.mode === "HTTPS") {
    if (config.mode === "HTTPS" && tls === undefined) throw new Error("HTTPS targets need `tls`");
    const server =
      config.mode === "HTTPS" ? createHttpsServer(tls ?? {}, respond) : createHttpServer(respond);
    server.on("connection", () => {
      connections += 1;
    });
    server.on("clientError", (_error, socket) => socket.destroy());
    server.on("tlsClientError", () => undefined);
    return server;
  }
  return createTcpServer(socket => {
    connections += 1;
    socket.on("error", () => undefined);
    socket.on("end", () => socket.destroy());
    if (config.mode === "SMTP") smtpSession(socket);
    else socket.resume();
  });
}

function listen(address: string): Promise<string | undefined> {
  const server = newServer();
  return new Promise(resolve => {
    server.once("error", (error: Error) => resolve(`${address}: ${error.message}`));
    server.listen({ host: address, port: config.port, backlog: 1024 }, () => {
      servers.set(address, server);
      resolve(undefined);
    });
  });
}

async function openAll(list: readonly string[]): Promise<string[]> {
  const failures: string[] = [];
  const batch = 500;
  for (let i = 0; i < list.length; i += batch) {
    const results = await Promise.all(list.slice(i, i + batch).map(listen));
    for (const failure of results) if (failure !== undefined) failures.push(failure);
  }
  return failures;
}

function closeAll(list: readonly string[]): number {
  let closed = 0;
  for (const address of list) {
    const server = servers.get(address);
    if (server === undefined) continue;
    servers.delete(address);
    // Stops listening at once (new connections are refused); open ones end on their own.
    server.close();
    if ("closeAllConnections" in server) server.closeAllConnections();
    closed += 1;
  }
  return closed;
}

async function handle(command: Message): Promise<void> {
  const list = Array.isArray(command.addresses) ? (command.addresses as string[]) : [];
  switch (command.cmd) {
    case "count":
      emit({ event: "count", connections, requests, at: Date.now() });
      return;
    case "close": {
      const n = closeAll(list);
      emit({ event: "closed", n, at: Date.now() });
      return;
    }
    case "open": {
      const failures = await openAll(list.filter(a => !servers.has(a)));
      emit({ event: "opened", n: list.length - failures.length, failures, at: Date.now() });
      return;
    }
    default:
      emit({ event: "error", message: `unknown command ${JSON.stringify(command.cmd)}` });
  }
}

/** GRPC: one gRPC server on every address; only `count` is served (no close/open). */
async function runGrpc(): Promise<void> {
  const grpc = await startGrpcTargets(addresses, config.port);
  emit({
    event: "ready",
    listening: addresses.length - grpc.failures.length,
    failed: grpc.failures.length,
    ...(grpc.failures[0] === undefined ? {} : { firstError: grpc.failures[0] }),
  });
  onCommands(command => {
    if (command.cmd === "count") {
      emit({ event: "count", connections: 0, requests: grpc.calls(), at: Date.now() });
    } else emit({ event: "error", message: `GRPC targets serve only "count"` });
  });
  process.on("SIGTERM", () => {
    grpc.stop();
    process.exit(0);
  });
}

async function runPlain(): Promise<void> {
  const failures = await openAll(addresses);
  emit({
    event: "ready",
    listening: servers.size,
    failed: failures.length,
    ...(failures[0] === undefined ? {} : { firstError: failures[0] }),
  });
  onCommands(handle);
  process.on("SIGTERM", () => process.exit(0));
}

if (config.mode === "GRPC") await runGrpc();
else await runPlain();
