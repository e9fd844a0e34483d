// The backend daemon (bundled to build/cluster/backend.mjs, the entrypoint of the test backends
// image): the process in every real pod of the scenarios. It serves what a workload needs (HTTP
// with a settable health answer, SMTP-like TCP, one PostgreSQL server of the pod's own) and acts
// as a client (paced HTTP/TCP loads, a SQL loop, DNS lookups). Tests and the demo drive it through
// a small JSON API on the pod's address (--control-port), reached over the node network's routes:
//   GET  /healthz                          GET /status
//   POST /servers {kind,name,host,port,healthPath?}   POST /servers/<name>/{start,stop,health}
//   POST /servers/<name>/smtp {mode: ready|wedged|refusing}   (a TCP server, smtp.ts)
//   POST /servers/<name>/grpc-health {status, service?}   (a gRPC server, grpc-health.ts)
//   POST /postgres/node {role,primaryHost?,port,user,password,dataDir}   (postgres-pod.ts)
//   POST /postgres/node/{promote,stop,start,rejoin}
//   POST /load {url,durationMs,ratePerSecond,timeoutMs}  (a client: paced requests, load.ts)
//   POST /hold {url,durationMs,intervalMs,timeoutMs}  (a client: one keep-alive connection, hold.ts)
//   POST /sql-load {host,port,user,password,database,durationMs,intervalMs,statement}  (sql-load.ts)
//   POST /resolve {name,type}              (resolve.ts)
// `--serve=<http|tcp|grpc>:<name>:<port>[:<healthPath>]` starts servers at boot. SIGTERM stops every
// server and the PostgreSQL server and removes their data.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { describeError } from "swh-kube-client";
import { PodPostgresNode, postgresNodeRequest } from "./postgres-pod.js";
import { loadRequest, runLoad } from "./load.js";
import { holdRequest, runHold } from "./hold.js";
import { runSqlLoad, sqlLoadRequest } from "./sql-load.js";
import { resolve, resolveRequest } from "./resolve.js";
import { GRPC_SERVING_STATUSES, grpcHealthServer, type GrpcServingStatus } from "./grpc-health.js";
import { httpServer, smtpLikeServer, type PodServer } from "./servers.js";
import { SMTP_MODES, type SmtpMode } from "./smtp.js";

/** Request bodies of the control API. */
export interface ServerRequest {
  readonly kind: "http" | "tcp" | "grpc";
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly healthPath?: string;
}

const servers = new Map<string, PodServer>();
let postgresNode: PodPostgresNode | undefined;

function log(msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`);
}

function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        resolve(text === "" ? {} : (JSON.parse(text) as Record<string, unknown>));
      } catch (err) {
        reject(new Error("request body is not JSON", { cause: err }));
      }
    });
    req.on("error", reject);
  });
}

function server(name: string): PodServer {
  const found = servers.get(name);
  if (!found) throw new Error(`no server named ${name}`);
  return found;
}

function newServer(body: ServerRequest): PodServer {
  const where = { name: body.name, host: body.host, port: body.port };
  if (body.kind === "http")
    return httpServer({ ...where, healthPath: body.healthPath ?? "/healthz" });
  return body.kind === "grpc" ? grpcHealthServer(where) : smtpLikeServer(where);
}

async function addServer(body: ServerRequest): Promise<unknown> {
  if (servers.has(body.name)) throw new Error(`server ${body.name} exists already`);
  const s = newServer(body);
  await s.start();
  servers.set(body.name, s);
  return s.info();
}

function smtpMode(value: unknown): SmtpMode {
  const mode = SMTP_MODES.find(m => m === value);
  if (mode === undefined) throw new Error(`smtp mode must be one of ${SMTP_MODES.join(", ")}`);
  return mode;
}

function grpcStatus(value: unknown): GrpcServingStatus {
  const status = GRPC_SERVING_STATUSES.find(m => m === value);
  if (status === undefined) {
    throw new Error(`gRPC health status must be one of ${GRPC_SERVING_STATUSES.join(", ")}`);
  }
  return status;
}

async function serverAction(
  name: string,
  action: string,
  body: Record<string, unknown>,
): Promise<unknown> {
  const s = server(name);
  if (action === "start") await s.start();
  else if (action === "stop") await s.stop();
  else if (action === "health") s.setHealth(Number(body.status), body.allPaths === true);
  else if (action === "smtp") s.setSmtpMode(smtpMode(body.mode));
  else if (action === "grpc-health") {
    s.setGrpcHealth(grpcStatus(body.status), typeof body.service === "string" ? body.service : "");
  } else throw new Error(`unknown server action ${action}`);
  return s.info();
}

/** POST /postgres/node[/<action>]: this pod's own PostgreSQL server. */
async function postgresNodeRoute(
  action: string | undefined,
  body: Record<string, unknown>,
): Promise<unknown> {
  if (action === undefined) {
    if (postgresNode) throw new Error("PostgreSQL is started already");
    postgresNode = await PodPostgresNode.start(postgresNodeRequest(body));
    return postgresNode.status();
  }
  if (!postgresNode) throw new Error("this pod's PostgreSQL is not started");
  if (action === "promote") await postgresNode.promote();
  else if (action === "stop")
    await postgresNode.stop(body.mode === "immediate" ? "immediate" : "fast");
  else if (action === "start") await postgresNode.start();
  else if (action === "rejoin") postgresNode = await postgresNode.rejoin(String(body.primaryHost));
  else throw new Error(`unknown postgres node action ${action}`);
  return postgresNode.status();
}

async function postgresStatus(): Promise<unknown> {
  return postgresNode ? [await postgresNode.status()] : null;
}

async function route(
  method: string,
  path: string,
  body: Record<string, unknown>,
): Promise<unknown> {
  const parts = path.split("/").filter(Boolean);
  if (method === "GET" && path === "/healthz") return { ok: true };
  if (method === "GET" && path === "/status") {
    return {
      servers: [...servers.values()].map(s => s.info()),
      postgres: await postgresStatus(),
    };
  }
  if (method === "POST" && path === "/servers") return addServer(body as unknown as ServerRequest);
  if (method === "POST" && path === "/load") return runLoad(loadRequest(body));
  if (method === "POST" && path === "/hold") return runHold(holdRequest(body));
  if (method === "POST" && path === "/resolve") return resolve(resolveRequest(body));
  if (method === "POST" && path === "/sql-load") return runSqlLoad(sqlLoadRequest(body));
  if (method === "POST" && parts[0] === "postgres" && parts[1] === "node" && parts.length <= 3) {
    return postgresNodeRoute(parts[2], body);
  }
  if (method === "POST" && parts[0] === "servers" && parts.length === 3) {
    return serverAction(parts[1]!, parts[2]!, body);
  }
  throw Object.assign(new Error(`no route ${method} ${path}`), { status: 404 });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  try {
    const body = await readBody(req);
    const result = await route(req.method ?? "GET", path, body);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result));
  } catch (err) {
    const status = (err as { status?: number }).status ?? 500;
    log("request failed", { method: req.method, path, error: describeError(err) });
    res
      .writeHead(status, { "content-type": "application/json" })
      .end(JSON.stringify({ error: describeError(err) }));
  }
}

async function shutdown(): Promise<void> {
  for (const s of servers.values()) await s.stop().catch(() => undefined);
  await postgresNode?.destroy().catch(() => undefined);
}

/**
 * `--serve=<http|tcp|grpc>:<name>:<port>[:<healthPath>]`: a server started at boot on every address
 * (in a real pod, where nothing else would start it).
 */
function parseServe(value: string): ServerRequest {
  const [kind, name, port, healthPath] = value.split(":");
  if (
    (kind !== "http" && kind !== "tcp" && kind !== "grpc") ||
    !name ||
    !/^\d+$/.test(port ?? "")
  ) {
    throw new Error(`--serve=${value}: expected <http|tcp|grpc>:<name>:<port>[:<healthPath>]`);
  }
  return { kind, name, host: "0.0.0.0", port: Number(port), ...(healthPath ? { healthPath } : {}) };
}

const USAGE = "usage: backend.mjs --control-port=<port> [--serve=<kind>:<name>:<port>[:<path>]]...";

function main(): void {
  const arg = (name: string): string | undefined =>
    process.argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const controlPort = arg("control-port");
  if (!controlPort || !/^\d+$/.test(controlPort)) throw new Error(USAGE);
  const control = createServer((req, res) => void handle(req, res));
  // The control API listens on the pod's addresses; the harness reaches pod IPs.
  const where = { host: "0.0.0.0", port: Number(controlPort) };
  control.listen(where, () => log("backend listening", { where }));
  const serve = process.argv.filter(a => a.startsWith("--serve=")).map(a => parseServe(a.slice(8)));
  for (const request of serve) {
    addServer(request).catch(err => {
      log("starting a server failed", { server: request.name, error: describeError(err) });
      process.exit(1);
    });
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    log("stopping", { signal });
    control.close();
    void shutdown().finally(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main();
