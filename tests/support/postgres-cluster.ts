// Real PostgreSQL for tests: a primary and streaming replicas started from Debian's
// PostgreSQL binaries in a temporary directory, each listening on its own loopback address
// and a free port, plus the operations a failover scenario needs (stop, start, promote,
// re-clone a node as a replica of another). Used by the integration tests of the PostgreSQL
// prober and by the end-to-end failover scenario; in the real-node scenarios each pod runs a
// cluster of one server, a standby cloning another pod's primary (create() + addReplicaOf()).
//
// Running as root (CI containers): PostgreSQL refuses to run as root, so every server-side
// command runs as the `postgres` OS user through runuser, and the temporary tree is chowned
// to it. Teardown is robust: destroy() stops every node (immediate mode), kills any postmaster
// left, and removes the tree; postgres-reaper.ts covers a test process that throws, exits or
// is killed before destroy() runs, so no postgres process outlives the test process.

import { execFile, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import {
  appendFile,
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./loopback.js";
import {
  killPostmaster,
  registerForExit,
  startWatchdog,
  stopWatchdog,
  unregisterForExit,
  type EmergencyCleanup,
} from "./postgres-reaper.js";

const run = promisify(execFile);

/** Server TLS material (PEM text): enables ssl=on and client-certificate authentication. */
export interface ServerTls {
  cert: string;
  key: string;
  /** CA whose client certificates the server accepts (for `cert` authentication). */
  clientCa: string;
}

/**
 * pg_hba.conf method for TCP connections: `password` asks the client for the password in clear
 * text, `md5` for a salted MD5 hash (passwords are then stored as MD5, so md5 is really used),
 * `scram-sha-256` for a SCRAM exchange.
 */
export type PasswordAuthMethod = "scram-sha-256" | "md5" | "password";

/** Options for a cluster's primary. */
export interface PostgresClusterOptions {
  /** Loopback address the primary listens on (default 127.0.0.1). */
  address?: string;
  /** Serve TLS on every node with this material. */
  tls?: ServerTls;
  /** Password of the `replicator` role used by replicas. */
  replicationPassword?: string;
  /** Extra postgresql.conf lines for every node. */
  settings?: readonly string[];
  /** How TCP clients (replication included) authenticate with a password (default scram-sha-256). */
  authMethod?: PasswordAuthMethod;
  /** Directory the cluster's temporary tree is made in (default: the OS temporary directory). */
  parentDir?: string;
}

/** A server to clone from: a node of this cluster, or a primary running elsewhere (another pod). */
export interface ReplicationSource {
  readonly address: string;
  readonly port: number;
}

/** One PostgreSQL server of the cluster. */
export interface PostgresNode {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;
  running: boolean;
}

const DEFAULT_REPLICATION_PASSWORD = "replicator-secret";

/** Directory of the newest installed PostgreSQL's binaries, or undefined if none is installed. */
export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter(v => existsSync(join(root, v, "bin", "postgres")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], "bin");
}

/** A primary with optional replicas; create it with PostgresCluster.start(). */
export class PostgresCluster implements EmergencyCleanup {
  readonly nodes: PostgresNode[] = [];
  private destroyed = false;
  private watchdog: ChildProcess | undefined;

  private constructor(
    readonly baseDir: string,
    private readonly bin: string,
    private readonly owner: { uid: number; gid: number } | undefined,
    private readonly options: PostgresClusterOptions,
  ) {}

  /** Initialises and starts a primary (named "primary"); throws when binaries are missing. */
  static async start(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
    const cluster = await PostgresCluster.create(options);
    try {
      await cluster.initPrimary(options.address ?? "127.0.0.1");
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  /**
   * A cluster with no node yet, for a server whose primary runs elsewhere (addReplicaOf): its
   * temporary tree, exit cleanup and watchdog. Throws when binaries are missing.
   */
  static async create(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
    const bin = postgresBinDir();
    if (bin === undefined)
      throw new Error("PostgreSQL binaries not found under /usr/lib/postgresql");
    const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
    const baseDir = await mkdtemp(join(options.parentDir ?? tmpdir(), "swh-pg-"));
    const cluster = new PostgresCluster(baseDir, bin, owner, options);
    registerForExit(cluster);
    cluster.watchdog = startWatchdog(
      baseDir,
      join(bin, "pg_ctl"),
      owner === undefined ? [] : ["runuser", "-u", "postgres", "--"],
    );
    try {
      await cluster.chownToPostgres(baseDir);
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  /** The first node, created by start(). */
  get primary(): PostgresNode {
    const first = this.nodes[0];
    if (first === undefined) throw new Error("the cluster has no primary");
    return first;
  }

  /** Finds a node by name. */
  node(name: string): PostgresNode {
    const found = this.nodes.find(n => n.name === name);
    if (found === undefined) throw new Error(`no PostgreSQL node named ${name}`);
    return found;
  }

  /** Clones `from` (default: the primary) with pg_basebackup and starts it as a streaming replica. */
  async addReplica(name: string, address: string, from = this.primary): Promise<PostgresNode> {
    const node = await this.newNode(name, address);
    await this.cloneInto(node, from);
    await this.startNode(node);
    await this.waitForStreaming(node, from);
    return node;
  }

  /**
   * Clones a primary that runs elsewhere (another pod, the same replication password) with
   * pg_basebackup and starts the clone as its streaming replica; waits until the replica's WAL
   * receiver streams.
   */
  async addReplicaOf(
    name: string,
    address: string,
    from: ReplicationSource,
  ): Promise<PostgresNode> {
    const node = await this.newNode(name, address);
    await this.cloneInto(node, from);
    await this.startNode(node);
    await waitUntil(`${name} streams from ${from.address}:${from.port}`, 30_000, async () => {
      const rows = await this.sql(
        node,
        "SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'",
      );
      return rows.length > 0;
    });
    return node;
  }

  /** Wipes `node` and re-clones it as a replica of `from` (e.g. the old primary after failover). */
  async reinitAsReplica(node: PostgresNode, from: PostgresNode): Promise<void> {
    if (node.running) await this.stopNode(node, "fast");
    await rm(node.dataDir, { recursive: true, force: true });
    await this.cloneInto(node, from);
    await this.startNode(node);
    await this.waitForStreaming(node, from);
  }

  /** Runs SQL as the superuser over the node's unix socket and returns the rows. */
  async sql<Row extends Record<string, unknown> = Record<string, unknown>>(
    node: PostgresNode,
    text: string,
    values: unknown[] = [],
  ): Promise<Row[]> {
    const client = new pg.Client({
      host: node.socketDir,
      port: node.port,
      user: "postgres",
      database: "postgres",
    });
    client.on("error", () => undefined);
    await client.connect();
    try {
      const result = await client.query<Row>(text, values);
      return result.rows;
    } finally {
      await client.end();
    }
  }

  /** Whether the node is a standby (pg_is_in_recovery()). */
  async isInRecovery(node: PostgresNode): Promise<boolean> {
    const [row] = await this.sql<{ r: boolean }>(node, "SELECT pg_is_in_recovery() AS r");
    return row?.r === true;
  }

  /**
   * Waits until `replica` has replayed everything `primary` committed so far: commits a marker
   * row on the primary and polls the replica until it sees it (comparing LSNs is unreliable on
   * an idle server, whose insert position can sit past the last replayable record).
   */
  async waitForCatchUp(replica: PostgresNode, primary = this.primary): Promise<void> {
    const [row] = await this.sql<{ n: string }>(
      primary,
      "INSERT INTO swh_sync_marker DEFAULT VALUES RETURNING n::text AS n",
    );
    const marker = row?.n ?? "0";
    await waitUntil(`${replica.name} replays marker ${marker}`, 20_000, async () => {
      const rows = await this.sql(replica, "SELECT 1 FROM swh_sync_marker WHERE n = $1::bigint", [
        marker,
      ]);
      return rows.length > 0;
    });
  }

  /** Promotes a standby to primary and waits until it accepts writes. */
  async promote(node: PostgresNode): Promise<void> {
    await this.pgCtl(["promote", "-D", node.dataDir, "-w", "-t", "30"]);
    await waitUntil(
      `${node.name} leaves recovery`,
      20_000,
      async () => !(await this.isInRecovery(node)),
    );
  }

  /** Stops a node ("fast": disconnect clients and shut down; "immediate": abort). */
  async stopNode(node: PostgresNode, mode: "fast" | "immediate" = "fast"): Promise<void> {
    if (!node.running) return;
    await this.pgCtl(["stop", "-D", node.dataDir, "-m", mode, "-w", "-t", "30"]);
    node.running = false;
  }

  /** Starts a stopped node with its existing data directory. */
  async startNode(node: PostgresNode): Promise<void> {
    if (node.running) return;
    try {
      await this.pgCtl(["start", "-D", node.dataDir, "-l", node.logFile, "-w", "-t", "60"]);
    } catch (error) {
      const log = await readFile(node.logFile, "utf8").catch(() => "");
      throw new Error(`PostgreSQL ${node.name} did not start; log tail:\n${log.slice(-2_000)}`, {
        cause: error,
      });
    }
    node.running = true;
  }

  /** Stops every node, kills leftovers and removes the temporary tree. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const node of this.nodes) {
      await this.stopNode(node, "immediate").catch(() => undefined);
      killPostmaster(node.dataDir);
    }
    await rm(this.baseDir, { recursive: true, force: true });
    await stopWatchdog(this.watchdog);
    unregisterForExit(this);
  }

  /** Synchronous last-resort cleanup for the process 'exit' hook. */
  emergencyCleanup(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const node of this.nodes) killPostmaster(node.dataDir);
    rmSync(this.baseDir, { recursive: true, force: true });
    this.watchdog?.kill("SIGKILL");
  }

  private async initPrimary(address: string): Promise<void> {
    const node = await this.newNode("primary", address);
    await this.asPostgres(join(this.bin, "initdb"), [
      "-D",
      node.dataDir,
      "-U",
      "postgres",
      "-E",
      "UTF8",
      "--no-sync",
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
    ]);
    await this.configure(node);
    await writeFile(join(node.dataDir, "pg_hba.conf"), this.hba());
    await this.startNode(node);
    const password = this.options.replicationPassword ?? DEFAULT_REPLICATION_PASSWORD;
    await this.sql(node, `CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '${password}'`);
    await this.sql(node, "CREATE TABLE swh_sync_marker (n bigserial PRIMARY KEY)");
  }

  private async newNode(name: string, address: string): Promise<PostgresNode> {
    if (this.nodes.some(n => n.name === name)) throw new Error(`node ${name} exists already`);
    const dir = join(this.baseDir, name);
    const node: PostgresNode = {
      name,
      address,
      port: await freePort(address),
      dataDir: join(dir, "data"),
      socketDir: join(dir, "run"),
      logFile: join(dir, "postgres.log"),
      running: false,
    };
    await mkdir(node.socketDir, { recursive: true });
    await this.chownToPostgres(dir);
    await this.chownToPostgres(node.socketDir);
    this.nodes.push(node);
    return node;
  }

  /** Appends this node's settings; later lines win, so a clone's copied ones are overridden. */
  private async configure(node: PostgresNode): Promise<void> {
    const tlsLines = await this.writeTls(node);
    const lines = [
      "",
      "# swh test settings",
      `listen_addresses = '${node.address}'`,
      `port = ${node.port}`,
      `unix_socket_directories = '${node.socketDir}'`,
      "max_connections = 60",
      "shared_buffers = 16MB",
      "fsync = off",
      "synchronous_commit = off",
      "full_page_writes = off",
      "wal_level = replica",
      "max_wal_senders = 8",
      "hot_standby = on",
      `password_encryption = '${this.authMethod === "md5" ? "md5" : "scram-sha-256"}'`,
      ...tlsLines,
      ...(this.options.settings ?? []),
      "",
    ];
    await appendFile(join(node.dataDir, "postgresql.conf"), lines.join("\n"));
  }

  private async writeTls(node: PostgresNode): Promise<string[]> {
    const tls = this.options.tls;
    if (tls === undefined) return ["ssl = off"];
    const dir = join(this.baseDir, node.name);
    const files = {
      cert: join(dir, "server.crt"),
      key: join(dir, "server.key"),
      ca: join(dir, "client-ca.crt"),
    };
    await writeFile(files.cert, tls.cert);
    await writeFile(files.key, tls.key);
    await writeFile(files.ca, tls.clientCa);
    await chmod(files.key, 0o600);
    for (const file of Object.values(files)) await this.chownToPostgres(file);
    return [
      "ssl = on",
      `ssl_cert_file = '${files.cert}'`,
      `ssl_key_file = '${files.key}'`,
      `ssl_ca_file = '${files.ca}'`,
    ];
  }

  private get authMethod(): PasswordAuthMethod {
    return this.options.authMethod ?? "scram-sha-256";
  }

  /**
   * Client authentication: trust over the unix socket (test administration), `cert` for the
   * role `certuser` over TLS, the password method (scram by default) for replication and
   * everyone else, with or without TLS.
   */
  private hba(): string {
    const lines = ["local all all trust", "local replication all trust"];
    if (this.options.tls !== undefined) {
      lines.push("hostssl all certuser all cert", "hostnossl all certuser all reject");
      lines.push("hostnossl all tlsonly all reject");
    }
    const method = this.authMethod;
    lines.push(`host replication replicator all ${method}`, `host all all all ${method}`);
    return `${lines.join("\n")}\n`;
  }

  private async cloneInto(node: PostgresNode, from: ReplicationSource): Promise<void> {
    const password = this.options.replicationPassword ?? DEFAULT_REPLICATION_PASSWORD;
    await this.asPostgres(
      join(this.bin, "pg_basebackup"),
      [
        "-h",
        from.address,
        "-p",
        String(from.port),
        "-U",
        "replicator",
        "-D",
        node.dataDir,
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
        "--no-sync",
      ],
      { PGPASSWORD: password, PGSSLMODE: "prefer" },
    );
    await this.configure(node);
  }

  private async waitForStreaming(replica: PostgresNode, from: PostgresNode): Promise<void> {
    await waitUntil(`${replica.name} streams from ${from.name}`, 30_000, async () => {
      const rows = await this.sql(
        from,
        "SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'",
      );
      return rows.length > 0 && (await this.isInRecovery(replica));
    });
  }

  private async pgCtl(args: string[]): Promise<void> {
    await this.asPostgres(join(this.bin, "pg_ctl"), args);
  }

  /** Runs a PostgreSQL tool as the postgres user (directly when not root). */
  private async asPostgres(
    file: string,
    args: string[],
    env: Record<string, string> = {},
  ): Promise<void> {
    const [command, argv] =
      this.owner === undefined
        ? [file, args]
        : ["runuser", ["-u", "postgres", "--", file, ...args]];
    try {
      await run(command, argv, {
        env: { ...process.env, ...env },
        cwd: this.baseDir,
        timeout: 120_000,
      });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? "";
      throw new Error(
        `${file.split("/").pop() ?? file} ${args[0] ?? ""} failed: ${stderr.trim()}`,
        {
          cause: error,
        },
      );
    }
  }

  private async chownToPostgres(path: string): Promise<void> {
    if (this.owner === undefined) return;
    await chown(path, this.owner.uid, this.owner.gid);
  }
}

function postgresUser(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch (error) {
    throw new Error("running as root needs a `postgres` OS user (installed with PostgreSQL)", {
      cause: error,
    });
  }
}

/** Polls `check` every 100 ms until it is true; errors count as "not yet". */
export async function waitUntil(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < until) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`, { cause: lastError });
}
