// The agent's HTTP endpoints: /healthz (the process is alive and its event loop answers),
// /readyz (informers synced and the heartbeat Lease renewed recently), /metrics (Prometheus).
// Health and metrics listen on separate addresses by default - metrics on loopback only, behind
// kube-rbac-proxy, as Deckhouse does after its metrics were found reachable without auth; when
// both addresses are the same, one listener serves all three paths.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { BindAddress } from "./config.js";

/** What the endpoints report. */
export interface OpsHandlers {
  /** Readiness and, when not ready, why. */
  readiness(): { ready: boolean; reasons: readonly string[] };
  /** Prometheus text exposition. */
  metrics(): Promise<{ contentType: string; body: string }>;
}

type Route = "/healthz" | "/readyz" | "/metrics";

function reply(res: ServerResponse, status: number, body: string, type = "text/plain"): void {
  res.writeHead(status, { "Content-Type": `${type}; charset=utf-8`, "Cache-Control": "no-store" });
  res.end(body);
}

async function handle(
  handlers: OpsHandlers,
  routes: ReadonlySet<Route>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? "/").split("?")[0] as Route;
  if (!routes.has(path)) return reply(res, 404, "not found\n");
  if (req.method !== "GET" && req.method !== "HEAD") return reply(res, 405, "method not allowed\n");
  if (path === "/healthz") return reply(res, 200, "ok\n");
  if (path === "/readyz") {
    const { ready, reasons } = handlers.readiness();
    return reply(res, ready ? 200 : 503, ready ? "ok\n" : `not ready: ${reasons.join("; ")}\n`);
  }
  try {
    const { contentType, body } = await handlers.metrics();
    res.writeHead(200, { "Content-Type": contentType });
    res.end(body);
  } catch (err) {
    reply(res, 500, `metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

function listen(server: Server, bind: BindAddress): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const onListening = (): void => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    };
    if (bind.host === "") server.listen(bind.port, onListening);
    else server.listen(bind.port, bind.host, onListening);
  });
}

/** The running listeners. */
export interface OpsServer {
  /** Bound addresses: health first, then metrics when separate. */
  readonly addresses: readonly AddressInfo[];
  close(): Promise<void>;
}

/** Starts the health and metrics listeners. */
export async function startOpsServer(
  handlers: OpsHandlers,
  healthBind: BindAddress,
  metricsBind: BindAddress,
): Promise<OpsServer> {
  const same = healthBind.host === metricsBind.host && healthBind.port === metricsBind.port;
  const plan: Array<[BindAddress, Set<Route>]> = same
    ? [[healthBind, new Set<Route>(["/healthz", "/readyz", "/metrics"])]]
    : [
        [healthBind, new Set<Route>(["/healthz", "/readyz"])],
        [metricsBind, new Set<Route>(["/metrics"])],
      ];
  const servers: Server[] = [];
  const addresses: AddressInfo[] = [];
  try {
    for (const [bind, routes] of plan) {
      const server = createServer((req, res) => void handle(handlers, routes, req, res));
      server.keepAliveTimeout = 5_000;
      servers.push(server);
      addresses.push(await listen(server, bind));
    }
  } catch (err) {
    servers.forEach(s => s.close());
    throw new Error(`cannot listen on ${JSON.stringify(plan.map(([b]) => b))}`, { cause: err });
  }
  return {
    addresses,
    close: async () => {
      await Promise.all(
        servers.map(
          s =>
            new Promise<void>(resolve => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
