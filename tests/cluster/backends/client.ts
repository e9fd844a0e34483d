// Client of a real pod's backend daemon (see backends/main.ts), for tests and the demo: start
// servers and the pod's PostgreSQL, flip health, stop and start servers, run failover steps and
// client loads from the pod.
import { request } from "node:http";
import type { HoldReport, HoldRequest } from "./hold.js";
import type { LoadReport, LoadRequest } from "./load.js";
import type { PgNodeStatus } from "./postgres.js";
import type { PostgresNodeRequest } from "./postgres-pod.js";
import type { SqlLoadReport, SqlLoadRequest } from "./sql-load.js";
import type { ResolveAnswer, ResolveRequest } from "./resolve.js";
import type { ServerInfo } from "./servers.js";
import type { GrpcServingStatus } from "./grpc-health.js";
import type { SmtpMode } from "./smtp.js";

/** What GET /status answers. */
export interface BackendStatus {
  readonly servers: readonly ServerInfo[];
  readonly postgres: readonly PgNodeStatus[] | null;
}

/** Where a backend daemon's control API listens: the pod's address and the control port. */
export interface BackendAddress {
  readonly host: string;
  readonly port: number;
}

/** Talks to one pod's backend daemon over TCP. */
export class BackendClient {
  readonly #address: BackendAddress;

  constructor(address: BackendAddress) {
    this.#address = address;
  }

  /** `host:port` of the daemon. */
  get address(): string {
    return `${this.#address.host}:${this.#address.port}`;
  }

  #call<T>(method: string, path: string, body?: unknown, timeoutMs = 180_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? "" : JSON.stringify(body);
      const req = request(
        {
          host: this.#address.host,
          port: this.#address.port,
          path,
          method,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(payload),
          },
          timeout: timeoutMs,
        },
        res => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const parsed = (text === "" ? {} : JSON.parse(text)) as { error?: string };
            if (res.statusCode === 200) resolve(parsed as T);
            else
              reject(
                new Error(`backend ${method} ${path}: ${parsed.error ?? `HTTP ${res.statusCode}`}`),
              );
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`backend ${method} ${path}: timed out`)));
      req.on("error", err => reject(new Error(`backend ${method} ${path} failed`, { cause: err })));
      req.end(payload);
    });
  }

  /** Resolves when the daemon answers. */
  health(): Promise<unknown> {
    return this.#call("GET", "/healthz", undefined, 2_000);
  }

  /** Servers and PostgreSQL nodes. */
  status(): Promise<BackendStatus> {
    return this.#call("GET", "/status");
  }

  /** Starts an HTTP server whose `healthPath` (default /healthz) answers a settable status. */
  httpServer(
    name: string,
    host: string,
    port: number,
    healthPath = "/healthz",
  ): Promise<ServerInfo> {
    return this.#call("POST", "/servers", { kind: "http", name, host, port, healthPath });
  }

  /** Starts an SMTP-like TCP server. */
  tcpServer(name: string, host: string, port: number): Promise<ServerInfo> {
    return this.#call("POST", "/servers", { kind: "tcp", name, host, port });
  }

  /** Stops a server (its port refuses connections). */
  stopServer(name: string): Promise<ServerInfo> {
    return this.#call("POST", `/servers/${encodeURIComponent(name)}/stop`);
  }

  /** Starts a stopped server again. */
  startServer(name: string): Promise<ServerInfo> {
    return this.#call("POST", `/servers/${encodeURIComponent(name)}/start`);
  }

  /**
   * Sets the status an HTTP server's health path answers; with `allPaths`, every path answers it
   * (the application fails, not just its health check).
   */
  setHealth(name: string, status: number, allPaths = false): Promise<ServerInfo> {
    return this.#call("POST", `/servers/${encodeURIComponent(name)}/health`, { status, allPaths });
  }

  /**
   * How an SMTP-like TCP server treats connections from now on: `ready` (greets 220), `wedged`
   * (accepts and never greets) or `refusing` (greets 554).
   */
  setSmtpMode(name: string, mode: SmtpMode): Promise<ServerInfo> {
    return this.#call("POST", `/servers/${encodeURIComponent(name)}/smtp`, { mode });
  }

  /**
   * The health status a gRPC server (grpc-health.ts) answers for `service` from now on ("", the
   * default: the server's overall health).
   */
  setGrpcHealth(name: string, status: GrpcServingStatus, service = ""): Promise<ServerInfo> {
    const path = `/servers/${encodeURIComponent(name)}/grpc-health`;
    return this.#call("POST", path, { status, service });
  }

  /** Runs a client load from this daemon's pod (see load.ts). */
  load(request: LoadRequest): Promise<LoadReport> {
    return this.#call("POST", "/load", request, request.durationMs + 60_000);
  }

  /** Holds one keep-alive HTTP connection from this daemon's pod, a request per interval (hold.ts). */
  hold(request: HoldRequest): Promise<HoldReport> {
    return this.#call("POST", "/hold", request, request.durationMs + 60_000);
  }

  /** Resolves a name from this daemon's pod (its resolv.conf: the cluster DNS). */
  resolve(request: ResolveRequest): Promise<ResolveAnswer> {
    return this.#call("POST", "/resolve", request, 30_000);
  }

  /** Runs a SQL client loop from this daemon's pod (see sql-load.ts); `timeoutMs` defaults to 1 s. */
  sqlLoad(
    request: Omit<SqlLoadRequest, "timeoutMs"> & { readonly timeoutMs?: number },
  ): Promise<SqlLoadReport> {
    return this.#call("POST", "/sql-load", request, request.durationMs + 60_000);
  }

  /** Starts this pod's own PostgreSQL server, a primary or a replica (see postgres-pod.ts). */
  startPodPostgres(request: PostgresNodeRequest): Promise<PgNodeStatus> {
    return this.#call("POST", "/postgres/node", request, 300_000);
  }

  /** Promotes, stops (fences) or starts this pod's own PostgreSQL server. */
  podPostgres(
    action: "promote" | "stop" | "start",
    mode?: "fast" | "immediate",
  ): Promise<PgNodeStatus> {
    return this.#call("POST", `/postgres/node/${action}`, mode ? { mode } : {});
  }

  /** Rejoins this pod's PostgreSQL as a replica of `primaryHost`, cloned afresh from it. */
  rejoinPodPostgres(primaryHost: string): Promise<PgNodeStatus> {
    return this.#call("POST", "/postgres/node/rejoin", { primaryHost }, 300_000);
  }
}
