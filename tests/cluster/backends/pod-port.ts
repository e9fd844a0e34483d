// Fixed ports for pod addresses, for the PostgreSQL wrapper. tests/support/postgres-cluster.ts
// gives every node a free port from `freePort(address)`; a pod, though, serves PostgreSQL on
// 5432 (the seed's targetPort). The backend bundle (scripts/demo's esbuild step) resolves that
// module's `./loopback.js` import to this file, which answers the registered port for a pod
// address and defers to the real helper for anything else. Temporary: asked for as a `port`
// option of PostgresCluster (see tests/cluster/README.md).
import { freePort as anyFreePort } from "../../support/loopback.js";

export { closedPort, ipv6LoopbackAvailable } from "../../support/loopback.js";

const fixed = new Map<string, number>();

/** Makes `freePort(host)` answer `port` for `host` (a pod address inside the pod network). */
export function registerFixedPort(host: string, port: number): void {
  fixed.set(host, port);
}

/** The registered port of `host`, or a free one as tests/support/loopback.ts finds it. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  const port = fixed.get(host);
  return port === undefined ? anyFreePort(host) : Promise.resolve(port);
}
