// What a pod's PostgreSQL server (postgres-pod.ts) shares with its callers: its status as the
// control API reports it, SQL quoting, and setting the probe user's password.
import type { PostgresCluster } from "../../support/postgres-cluster.js";

/** What one pod's server looks like now. */
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
