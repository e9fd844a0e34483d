// The PostgreSQL prober against real PostgreSQL 15 servers that authenticate with `password`
// (the server asks for the password in clear text), `md5` and `scram-sha-256`. A cleartext
// request must be refused unless TLS verified the server, and not one byte of the password may
// leave the agent: the probe runs through a relay on loopback that records what the client
// sends (taking TLS off first, as an attacker's server would), and the server's log must show
// no authentication. MD5 and SCRAM must keep working in every tlsMode.

import { jest } from "@jest/globals";
import { readFile, stat } from "node:fs/promises";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { Duplex } from "node:stream";
import pg from "pg";
import { CLEARTEXT_REFUSED } from "../../images/agent/src/probes/postgres-auth.js";
import { createPostgresProber } from "../../images/agent/src/probes/postgres.js";
import type { PostgresCredentials, ProbeSpec } from "../../images/agent/src/probes/types.js";
import {
  PostgresCluster,
  postgresBinDir,
  waitUntil,
  type PasswordAuthMethod,
  type PostgresNode,
} from "../support/postgres-cluster.js";
import { createTestPki, type IssuedCertificate, type TestPki } from "../support/tls.js";

type PostgresSpec = Extract<ProbeSpec, { mode: "PostgreSQL" }>;
type TlsMode = PostgresCredentials["tlsMode"];

const PASSWORD = "cleartext-Target-5813";
const SERVERS: Readonly<Record<PasswordAuthMethod, string>> = {
  password: "127.0.0.41",
  md5: "127.0.0.42",
  "scram-sha-256": "127.0.0.43",
};
const RELAY = "127.0.0.44";
const SSL_REQUEST_CODE = 80877103;

const bin = postgresBinDir();
const describeIfPostgres = bin === undefined ? describe.skip : describe;
if (bin === undefined) {
  console.warn("skipped: PostgreSQL binaries are not installed (apt-get install postgresql)");
}

/** One client message after the startup message: its type byte and its body. */
interface ClientMessage {
  type: string;
  body: Buffer;
}

/** What a client sent over one relayed connection, TLS taken off. */
interface Capture {
  bytes: Buffer;
  startup: Buffer;
  messages: ClientMessage[];
}

/**
 * A man in the middle between a client and a PostgreSQL server, as an attacker's pod would be:
 * it answers SSLRequest itself (with TLS under `cert` when given, refusing TLS otherwise),
 * forwards plain text to the server and records every byte the client sends.
 */
class Relay {
  private readonly recorded: Buffer[][] = [];
  private readonly upstreams = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly target: PostgresNode,
    private readonly cert: IssuedCertificate | undefined,
  ) {}

  /** Listens on RELAY, forwarding to `target`; `cert` makes it accept TLS. */
  static async start(target: PostgresNode, cert?: IssuedCertificate): Promise<Relay> {
    const server = createServer();
    const relay = new Relay(server, target, cert);
    server.on("connection", socket => relay.accept(socket));
    await new Promise<void>(resolve => server.listen(0, RELAY, resolve));
    return relay;
  }

  /** The port clients connect to (on RELAY). */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Waits until the server has closed every relayed connection: it is done with them. */
  async settled(): Promise<void> {
    await waitUntil("relayed connections to close", 5_000, () =>
      Promise.resolve(this.upstreams.size === 0),
    );
  }

  /** Everything recorded so far, one Capture per connection; then forgets it. */
  take(): Capture[] {
    const captures = this.recorded.map(chunks => parseCapture(Buffer.concat(chunks)));
    this.recorded.length = 0;
    return captures;
  }

  /** Stops listening and cuts every relayed connection. */
  async close(): Promise<void> {
    for (const upstream of this.upstreams) upstream.destroy();
    await new Promise(resolve => this.server.close(resolve));
  }

  private accept(socket: Socket): void {
    const chunks: Buffer[] = [];
    this.recorded.push(chunks);
    socket.on("error", () => undefined);
    socket.once("data", first => {
      const sslRequest = first.length === 8 && first.readInt32BE(4) === SSL_REQUEST_CODE;
      if (!sslRequest) {
        this.pipe(socket, chunks, first);
      } else if (this.cert === undefined) {
        socket.write("N");
        this.pipe(socket, chunks);
      } else {
        socket.write("S");
        const tls = new TLSSocket(socket, {
          isServer: true,
          cert: this.cert.cert,
          key: this.cert.key,
        });
        tls.on("error", () => socket.destroy());
        this.pipe(tls, chunks);
      }
    });
  }

  /** Forwards `client` to a fresh connection to the server, recording the client's bytes. */
  private pipe(client: Duplex, chunks: Buffer[], first?: Buffer): void {
    const upstream = connect(this.target.port, this.target.address);
    this.upstreams.add(upstream);
    const record = (chunk: Buffer): void => {
      chunks.push(chunk);
      upstream.write(chunk);
    };
    if (first !== undefined) record(first);
    client.on("data", record);
    client.on("close", () => upstream.end());
    upstream.on("data", chunk => client.write(chunk));
    upstream.on("error", () => client.destroy());
    upstream.on("close", () => {
      this.upstreams.delete(upstream);
      client.destroy();
    });
  }
}

/** Splits a connection's client bytes into the startup message and the typed messages. */
function parseCapture(bytes: Buffer): Capture {
  const startupLength = bytes.length >= 4 ? bytes.readInt32BE(0) : 0;
  const startup = bytes.subarray(0, startupLength);
  const messages: ClientMessage[] = [];
  let offset = startupLength;
  while (offset + 5 <= bytes.length) {
    const length = bytes.readInt32BE(offset + 1);
    const type = String.fromCharCode(bytes[offset] ?? 0);
    messages.push({ type, body: bytes.subarray(offset + 5, offset + 1 + length) });
    offset += 1 + length;
  }
  return { bytes, startup, messages };
}

function pgSpec(port: number, creds: Partial<PostgresCredentials>): PostgresSpec {
  return {
    mode: "PostgreSQL",
    port,
    dbName: "appdb",
    query: "select 1",
    credentials: { user: "probe", password: PASSWORD, tlsMode: "Prefer", ...creds },
  };
}

/** `SELECT ssl …` for the probe's own connection: true only when it runs over TLS. */
function sslQuery(tls: boolean): string {
  return `SELECT ${tls ? "" : "NOT "}ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
}

/** Lines the server logged since `offset` (bytes) in its log file. */
async function logSince(node: PostgresNode, offset: number): Promise<string> {
  return (await readFile(node.logFile)).subarray(offset).toString("utf8");
}

async function logSize(node: PostgresNode): Promise<number> {
  return (await stat(node.logFile)).size;
}

describeIfPostgres("PostgreSQL prober and password authentication methods", () => {
  jest.setTimeout(60_000);
  let pki: TestPki;
  let otherPki: TestPki;
  let impostorCert: IssuedCertificate;
  const clusters = new Map<PasswordAuthMethod, PostgresCluster>();
  const probe = createPostgresProber();

  function node(method: PasswordAuthMethod): PostgresNode {
    const cluster = clusters.get(method);
    if (cluster === undefined) throw new Error(`no ${method} cluster`);
    return cluster.primary;
  }

  async function startCluster(method: PasswordAuthMethod): Promise<void> {
    const address = SERVERS[method];
    const cert = await pki.issue({ commonName: "db.example", ipAddresses: [address] });
    const cluster = await PostgresCluster.start({
      address,
      authMethod: method,
      tls: { ...cert, clientCa: pki.caCert },
      settings: ["log_connections = on"],
    });
    clusters.set(method, cluster);
    await cluster.sql(cluster.primary, `CREATE ROLE probe LOGIN PASSWORD '${PASSWORD}'`);
    await cluster.sql(cluster.primary, "CREATE DATABASE appdb OWNER probe");
  }

  beforeAll(async () => {
    pki = await createTestPki("pg auth test CA");
    otherPki = await createTestPki("impostor CA");
    impostorCert = await otherPki.issue({ commonName: "db.example", ipAddresses: [RELAY] });
    await Promise.all(Object.keys(SERVERS).map(m => startCluster(m as PasswordAuthMethod)));
  });
  afterAll(async () => {
    await Promise.all([...clusters.values()].map(c => c.destroy()));
    await Promise.all([pki?.dispose(), otherPki?.dispose()]);
  });

  describe("password (cleartext) on the server", () => {
    let plainRelay: Relay;
    let tlsRelay: Relay;
    beforeAll(async () => {
      plainRelay = await Relay.start(node("password"));
      tlsRelay = await Relay.start(node("password"), impostorCert);
    });
    afterEach(async () => {
      // a failed test must not leave its captures to the next one
      for (const relay of [plainRelay, tlsRelay]) {
        await relay.settled();
        relay.take();
      }
    });
    afterAll(async () => {
      await Promise.all([plainRelay?.close(), tlsRelay?.close()]);
    });

    it.each<[string, TlsMode, () => Relay]>([
      ["Disabled", "Disabled", () => plainRelay],
      ["Prefer, server without TLS", "Prefer", () => plainRelay],
      ["Prefer, server with an unverified certificate", "Prefer", () => tlsRelay],
      ["SkipVerification", "SkipVerification", () => tlsRelay],
    ])("%s: refused, not one password byte sent", async (_, tlsMode, relayOf) => {
      const relay = relayOf();
      const server = node("password");
      const logStart = await logSize(server);
      const outcome = await probe(RELAY, pgSpec(relay.port, { tlsMode }), 3_000);
      expect(outcome).toMatchObject({ ok: false, reason: CLEARTEXT_REFUSED });

      await relay.settled();
      const captures = relay.take();
      // the relay did see the client's plain text: its startup message names the user
      expect(captures.map(c => c.startup.includes("user\0probe\0"))).toContain(true);
      for (const capture of captures) {
        expect(capture.bytes.includes(PASSWORD)).toBe(false);
        // after the startup message the client sent nothing at all, not even a partial answer
        expect(capture.messages).toEqual([]);
      }
      const log = await logSince(server, logStart);
      expect(log).toContain("connection received");
      expect(log).not.toMatch(
        /connection authenticated|connection authorized|authentication failed/,
      );
    });

    it("control: the relay sees the password node-postgres alone would send", async () => {
      const client = new pg.Client({
        host: RELAY,
        port: plainRelay.port,
        user: "probe",
        password: PASSWORD,
        database: "appdb",
      });
      await client.connect();
      await client.end();
      await plainRelay.settled();
      const [capture] = plainRelay.take();
      expect(capture?.messages[0]?.type).toBe("p");
      expect(capture?.bytes.includes(PASSWORD)).toBe(true);
    });

    it.each<[TlsMode]>([["VerifyCA"], ["VerifyAll"]])(
      "%s with the right CA: the verified server gets the password",
      async tlsMode => {
        const server = node("password");
        const logStart = await logSize(server);
        const spec = pgSpec(server.port, { tlsMode, caCert: pki.caCert });
        const outcome = await probe(server.address, { ...spec, query: sslQuery(true) }, 3_000);
        expect(outcome).toMatchObject({ ok: true, reason: "" });
        expect(await logSince(server, logStart)).toMatch(
          /connection authenticated: identity="probe" method=password/,
        );
      },
    );

    it("VerifyCA, impostor certificate: TLS fails before any authentication", async () => {
      const spec = pgSpec(tlsRelay.port, { tlsMode: "VerifyCA", caCert: pki.caCert });
      const outcome = await probe(RELAY, spec, 3_000);
      expect(outcome).toMatchObject({ ok: false, reason: "TLS UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
      await tlsRelay.settled();
      // one connection, and not one byte came out of TLS
      expect(tlsRelay.take().map(capture => capture.bytes.length)).toEqual([0]);
    });
  });

  describe.each<[PasswordAuthMethod, RegExp]>([
    ["md5", /^md5[0-9a-f]{32}\0$/],
    ["scram-sha-256", /^SCRAM-SHA-256\0/],
  ])("%s on the server", (method, firstAnswer) => {
    let relay: Relay;
    beforeAll(async () => {
      relay = await Relay.start(node(method));
    });
    afterEach(async () => {
      await relay.settled();
      relay.take();
    });
    afterAll(async () => {
      await relay?.close();
    });

    it("answers without the password itself (Disabled, through the relay)", async () => {
      const spec = pgSpec(relay.port, { tlsMode: "Disabled" });
      expect(await probe(RELAY, spec, 3_000)).toMatchObject({ ok: true, reason: "" });
      await relay.settled();
      const [capture] = relay.take();
      expect(capture?.messages[0]?.type).toBe("p");
      expect(capture?.messages[0]?.body.toString("latin1")).toMatch(firstAnswer);
      expect(capture?.bytes.includes(PASSWORD)).toBe(false);
    });

    it.each<[TlsMode, boolean, boolean]>([
      ["Disabled", false, false],
      ["Prefer", true, false],
      ["SkipVerification", true, false],
      ["VerifyCA", true, true],
      ["VerifyAll", true, true],
    ])("passes with tlsMode %s", async (tlsMode, tls, withCa) => {
      const server = node(method);
      const logStart = await logSize(server);
      const creds = { tlsMode, ...(withCa ? { caCert: pki.caCert } : {}) };
      const spec = { ...pgSpec(server.port, creds), query: sslQuery(tls) };
      expect(await probe(server.address, spec, 3_000)).toMatchObject({ ok: true, reason: "" });
      expect(await logSince(server, logStart)).toContain(`method=${method}`);
    });
  });
});
