// PostgreSQL behind StatefulSet-shaped pods (db-0 primary, db-1.. streaming replicas), built on
// tests/support/postgres-cluster.ts: each node listens on its pod's address and port 5432 inside
// the pod network namespace (this runs in the backend daemon, which lives there), the probe user
// gets the password of the seed's `cred-secret`, and nodes are addressed by pod name for the
// failover steps a scenario needs: promote, fence (stop), restart, re-clone as a replica.
import { PostgresCluster, type PostgresNode } from "../../support/postgres-cluster.js";
import { registerFixedPort } from "./pod-port.js";

/** A PostgreSQL pod: its name and address. */
export interface PgPod {
  readonly pod: string;
  readonly address: string;
}

/** What one node looks like now. */
export interface PgNodeStatus {
  readonly pod: string;
  readonly address: string;
  readonly port: number;
  readonly running: boolean;
  /** undefined when the node is not running. */
  readonly inRecovery?: boolean;
}

/** SQL string literal. */
export function sqlLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** SQL identifier. */
export function sqlIdentifier(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/**
 * Gives `user` the password `password` on the cluster's primary: the probe user of the seed's
 * `cred-secret` (created as a login role when not `postgres`).
 */
export async function setLoginPassword(
  cluster: PostgresCluster,
  user: string,
  password: string,
): Promise<void> {
  const verb = user === "postgres" ? "ALTER ROLE" : "CREATE ROLE";
  await cluster.sql(
    cluster.primary,
    `${verb} ${sqlIdentifier(user)} WITH LOGIN PASSWORD ${sqlLiteral(password)}`,
  );
}

/** The PostgreSQL pods of one workload (see file header). */
export class PodPostgres {
  readonly #cluster: PostgresCluster;
  readonly #nodes = new Map<string, PostgresNode>();
  readonly #pods: readonly PgPod[];

  private constructor(cluster: PostgresCluster, pods: readonly PgPod[]) {
    this.#cluster = cluster;
    this.#pods = pods;
  }

  /**
   * Starts `pods[0]` as the primary and the others as its streaming replicas, all on `port`,
   * and gives `user` the password `password` (created as a login role when not `postgres`).
   */
  static async start(opts: {
    readonly pods: readonly PgPod[];
    readonly port: number;
    readonly user: string;
    readonly password: string;
  }): Promise<PodPostgres> {
    const [primary, ...replicas] = opts.pods;
    if (!primary) throw new Error("a PostgreSQL workload needs at least one pod");
    for (const p of opts.pods) registerFixedPort(p.address, opts.port);
    const cluster = await PostgresCluster.start({ address: primary.address });
    const pg = new PodPostgres(cluster, opts.pods);
    try {
      pg.#nodes.set(primary.pod, cluster.primary);
      await setLoginPassword(cluster, opts.user, opts.password);
      for (const replica of replicas) {
        pg.#nodes.set(replica.pod, await cluster.addReplica(replica.pod, replica.address));
      }
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return pg;
  }

  #node(pod: string): PostgresNode {
    const node = this.#nodes.get(pod);
    if (!node) throw new Error(`no PostgreSQL pod ${pod}`);
    return node;
  }

  /** Promotes a replica to primary (waits until it accepts writes). */
  promote(pod: string): Promise<void> {
    return this.#cluster.promote(this.#node(pod));
  }

  /** Stops a node: the way to fence an old primary. */
  stop(pod: string, mode: "fast" | "immediate" = "fast"): Promise<void> {
    return this.#cluster.stopNode(this.#node(pod), mode);
  }

  /** Starts a stopped node with its data. */
  startNode(pod: string): Promise<void> {
    return this.#cluster.startNode(this.#node(pod));
  }

  /** Wipes `pod` and re-clones it as a streaming replica of `fromPod`. */
  reinit(pod: string, fromPod: string): Promise<void> {
    return this.#cluster.reinitAsReplica(this.#node(pod), this.#node(fromPod));
  }

  /** Every node, in pod order. */
  async status(): Promise<PgNodeStatus[]> {
    const out: PgNodeStatus[] = [];
    for (const p of this.#pods) {
      const node = this.#node(p.pod);
      const inRecovery = node.running
        ? await this.#cluster.isInRecovery(node).catch(() => undefined)
        : undefined;
      out.push({
        pod: p.pod,
        address: node.address,
        port: node.port,
        running: node.running,
        ...(inRecovery === undefined ? {} : { inRecovery }),
      });
    }
    return out;
  }

  /** Stops every node and removes the data. */
  destroy(): Promise<void> {
    return this.#cluster.destroy();
  }
}
