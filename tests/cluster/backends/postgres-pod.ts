// One PostgreSQL server per real pod (the backend daemon's POST /postgres/node): a pod of a
// StatefulSet-shaped database runs either the primary (initdb with scram authentication,
// replication allowed from anywhere in the pod network, the probe user of the seed's
// `cred-secret`, a table for the client writes) or a hot standby cloned from the primary's pod
// with pg_basebackup and streaming from it. Built on tests/support/postgres-cluster.ts; the
// server listens on every address of the pod, on the port the request names (5432), and is
// named after the pod (`cluster_name`, so a client can tell which pod answered).
import { hostname } from "node:os";
import { PostgresCluster, type PostgresNode } from "../../support/postgres-cluster.js";
import { registerFixedPort } from "./pod-port.js";
import { setLoginPassword, sqlIdentifier, sqlLiteral, type PgNodeStatus } from "./postgres.js";

/** What POST /postgres/node takes. */
export interface PostgresNodeRequest {
  readonly role: "primary" | "replica";
  /** The primary's pod address (replicas only). */
  readonly primaryHost?: string;
  readonly port: number;
  /** The probe user and its password (the seed's `cred-secret`); set on the primary. */
  readonly user: string;
  readonly password: string;
  /** A writable directory (an emptyDir) the data directory and sockets go in. */
  readonly dataDir: string;
}

/** The table client writes go to (`POST /sql-load` with `statement: "write"`). */
export const CLIENT_WRITES_TABLE = "swh_client_writes";

/** The server listens on every IPv4 address of the pod. */
const LISTEN = "0.0.0.0";

/** Validates a POST /postgres/node body. */
export function postgresNodeRequest(body: Record<string, unknown>): PostgresNodeRequest {
  const { role, primaryHost, port, user, password, dataDir } = body;
  if (role !== "primary" && role !== "replica") {
    throw new Error('postgres node: role must be "primary" or "replica"');
  }
  if (role === "replica" && (typeof primaryHost !== "string" || primaryHost === "")) {
    throw new Error("postgres node: a replica needs primaryHost");
  }
  if (typeof port !== "number" || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error("postgres node: port must be a TCP port");
  }
  for (const [name, value] of Object.entries({ user, password, dataDir })) {
    if (typeof value !== "string" || value === "") {
      throw new Error(`postgres node: ${name} must be a non-empty string`);
    }
  }
  if (!(dataDir as string).startsWith("/"))
    throw new Error("postgres node: dataDir must be absolute");
  return {
    role,
    ...(role === "replica" ? { primaryHost: primaryHost as string } : {}),
    port,
    user: user as string,
    password: password as string,
    dataDir: dataDir as string,
  };
}

/** Sets up the primary's users and the client writes table. */
async function preparePrimary(cluster: PostgresCluster, req: PostgresNodeRequest): Promise<void> {
  await setLoginPassword(cluster, req.user, req.password);
  const table = sqlIdentifier(CLIENT_WRITES_TABLE);
  await cluster.sql(
    cluster.primary,
    `CREATE TABLE ${table} (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), pod text NOT NULL)`,
  );
  const role = sqlIdentifier(req.user);
  await cluster.sql(cluster.primary, `GRANT SELECT, INSERT ON ${table} TO ${role}`);
  await cluster.sql(
    cluster.primary,
    `GRANT USAGE ON SEQUENCE ${sqlIdentifier(`${CLIENT_WRITES_TABLE}_id_seq`)} TO ${role}`,
  );
}

/** The one PostgreSQL server of this pod (see file header). */
export class PodPostgresNode {
  readonly #cluster: PostgresCluster;
  readonly #node: PostgresNode;
  readonly #pod: string;
  readonly #request: PostgresNodeRequest;

  private constructor(
    cluster: PostgresCluster,
    node: PostgresNode,
    pod: string,
    request: PostgresNodeRequest,
  ) {
    this.#cluster = cluster;
    this.#node = node;
    this.#pod = pod;
    this.#request = request;
  }

  /** Starts the server as the request says; `pod` names it (default: the pod's hostname). */
  static async start(req: PostgresNodeRequest, pod = hostname()): Promise<PodPostgresNode> {
    registerFixedPort(LISTEN, req.port);
    const options = {
      address: LISTEN,
      parentDir: req.dataDir,
      settings: [`cluster_name = ${sqlLiteral(pod)}`],
    };
    const cluster =
      req.role === "primary"
        ? await PostgresCluster.start(options)
        : await PostgresCluster.create(options);
    try {
      if (req.role === "primary") {
        await preparePrimary(cluster, req);
        return new PodPostgresNode(cluster, cluster.primary, pod, req);
      }
      const from = { address: req.primaryHost ?? "", port: req.port };
      const replica = await cluster.addReplicaOf(pod, LISTEN, from);
      return new PodPostgresNode(cluster, replica, pod, req);
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
  }

  /** Promotes the standby (waits until it accepts writes). */
  promote(): Promise<void> {
    return this.#cluster.promote(this.#node);
  }

  /** Stops the server: fences a primary. */
  stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    return this.#cluster.stopNode(this.#node, mode);
  }

  /**
   * Rejoins the cluster as a replica of `primaryHost` (a fenced old primary coming back): its data
   * is discarded (its timeline forked at the promotion) and cloned afresh from the new primary
   * with pg_basebackup; returns the new server, this one destroyed.
   */
  async rejoin(primaryHost: string): Promise<PodPostgresNode> {
    await this.destroy();
    return PodPostgresNode.start({ ...this.#request, role: "replica", primaryHost }, this.#pod);
  }

  /** Starts the stopped server again with its data. */
  start(): Promise<void> {
    return this.#cluster.startNode(this.#node);
  }

  /** Running, and whether in recovery (a standby) when it runs. */
  async status(): Promise<PgNodeStatus> {
    const running = this.#node.running;
    const inRecovery = running
      ? await this.#cluster.isInRecovery(this.#node).catch(() => undefined)
      : undefined;
    return {
      pod: this.#pod,
      address: this.#node.address,
      port: this.#node.port,
      running,
      ...(inRecovery === undefined ? {} : { inRecovery }),
    };
  }

  /** Stops the server and removes its data. */
  destroy(): Promise<void> {
    return this.#cluster.destroy();
  }
}
