// The cleartext-password guard: when a password may go out in clear text, and what the prober
// sends to a rogue server that asks for it. The rogue server is a few lines of the PostgreSQL
// wire protocol on loopback, because no real PostgreSQL misbehaves the way an attacker's
// server does (asking for MD5 and then for the password in clear); the guard against real
// PostgreSQL 15 servers is in tests/integration/postgres-auth.test.ts.

import { createServer, Socket, type AddressInfo } from "node:net";
import { TLSSocket } from "node:tls";
import pg from "pg";
import { readDoc } from "../../../../tests/unit/docs/markdown.js";
import { CLEARTEXT_REFUSED, PasswordGuard, cleartextAllowed } from "./postgres-auth.js";
import { createPostgresProber } from "./postgres.js";
import type { PostgresCredentials, ProbeSpec } from "./types.js";

const PASSWORD = "rogue-Target-9931";
const SSL_REQUEST_CODE = 80877103;

type AuthRequest = "cleartext" | "md5";

/** A server that answers each client message with the next authentication request. */
interface RogueServer {
  readonly port: number;
  /** Everything clients sent, SSLRequests excluded. */
  received(): Buffer;
  /** Resolves when every client connection has closed. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

function authRequest(kind: AuthRequest): Buffer {
  const message = Buffer.alloc(kind === "md5" ? 13 : 9);
  message.write("R", 0);
  message.writeInt32BE(message.length - 1, 1);
  message.writeInt32BE(kind === "md5" ? 5 : 3, 5);
  if (kind === "md5") message.write("salt", 9);
  return message;
}

/** Splits complete messages off `buffer`; the first one of a connection has no type byte. */
class MessageReader {
  private buffer = Buffer.alloc(0);
  private startup = true;

  /** Adds `chunk`; returns the complete messages now available. */
  push(chunk: Buffer): Buffer[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const messages: Buffer[] = [];
    for (;;) {
      const header = this.startup ? 0 : 1;
      if (this.buffer.length < header + 4) return messages;
      const total = header + this.buffer.readInt32BE(header);
      if (this.buffer.length < total) return messages;
      messages.push(this.buffer.subarray(0, total));
      this.buffer = this.buffer.subarray(total);
    }
  }

  /** Whether `message` is an SSLRequest (then the startup message is still to come). */
  sslRequest(message: Buffer): boolean {
    const isRequest =
      this.startup && message.length === 8 && message.readInt32BE(4) === SSL_REQUEST_CODE;
    if (!isRequest) this.startup = false;
    return isRequest;
  }
}

async function startRogue(script: readonly AuthRequest[]): Promise<RogueServer> {
  const chunks: Buffer[] = [];
  const open = new Set<Socket>();
  const server = createServer(socket => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => undefined);
    const reader = new MessageReader();
    let step = 0;
    socket.on("data", chunk => {
      for (const message of reader.push(chunk)) {
        if (reader.sslRequest(message)) {
          socket.write("N");
          continue;
        }
        chunks.push(message);
        const next = script[step++];
        if (next === undefined) socket.end();
        else socket.write(authRequest(next));
      }
    });
  });
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => Buffer.concat(chunks),
    idle: async () => {
      while (open.size > 0) await new Promise(resolve => setTimeout(resolve, 10));
    },
    close: () => new Promise(resolve => server.close(() => resolve())),
  };
}

function spec(port: number, tlsMode: PostgresCredentials["tlsMode"]): ProbeSpec {
  return {
    mode: "PostgreSQL",
    port,
    query: "select 1",
    credentials: { user: "probe", password: PASSWORD, tlsMode },
  };
}

describe("cleartextAllowed", () => {
  const tls = new TLSSocket(new Socket());
  const verified = Object.assign(new TLSSocket(new Socket()), { authorized: true });
  afterAll(() => {
    tls.destroy();
    verified.destroy();
  });

  it.each<[string, boolean, Pick<PostgresCredentials, "tlsMode" | "caCert">, () => unknown]>([
    ["VerifyAll, verified TLS", true, { tlsMode: "VerifyAll" }, () => verified],
    [
      "VerifyCA with caCert, verified TLS",
      true,
      { tlsMode: "VerifyCA", caCert: "CA" },
      () => verified,
    ],
    // the system CAs vouch for every holder of a public certificate, not for this server
    ["VerifyCA with the system CAs", false, { tlsMode: "VerifyCA" }, () => verified],
    ["VerifyAll, unverified TLS", false, { tlsMode: "VerifyAll" }, () => tls],
    ["VerifyAll, plain socket", false, { tlsMode: "VerifyAll" }, () => new Socket()],
    ["SkipVerification", false, { tlsMode: "SkipVerification", caCert: "CA" }, () => verified],
    ["Prefer", false, { tlsMode: "Prefer" }, () => verified],
    ["Disabled", false, { tlsMode: "Disabled" }, () => new Socket()],
  ])("%s -> %s", (_, allowed, credentials, stream) => {
    expect(cleartextAllowed(credentials, stream())).toBe(allowed);
  });
});

describe("CLEARTEXT_REFUSED", () => {
  it.each(["CR.md", "CR_RU.md"])("is the reason %s documents", file => {
    expect(readDoc(file)).toContain(`\`${CLEARTEXT_REFUSED}\``);
  });
});

describe("PasswordGuard", () => {
  it("hands out the password while nothing was refused", () => {
    const guard = new PasswordGuard({ user: "u", password: PASSWORD, tlsMode: "Disabled" });
    expect(guard.password()).toBe(PASSWORD);
    expect(guard.refused).toBe(false);
  });

  it("holds even when its listener runs after node-postgres's own", async () => {
    const server = await startRogue(["cleartext"]);
    try {
      const guard = new PasswordGuard({ user: "probe", password: PASSWORD, tlsMode: "Disabled" });
      const client = new pg.Client({
        host: "127.0.0.1",
        port: server.port,
        user: "probe",
        password: guard.password,
      });
      client.on("error", () => undefined);
      const connecting = client.connect();
      guard.attach(client.connection); // too late to run first: the password function refuses
      await expect(connecting).rejects.toThrow(CLEARTEXT_REFUSED);
      await server.idle();
      expect(guard.refused).toBe(true);
      expect(server.received().includes("user\0probe\0")).toBe(true);
      expect(server.received().includes(PASSWORD)).toBe(false);
    } finally {
      await server.close();
    }
  });
});

describe("PostgreSQL prober against a rogue server", () => {
  const probe = createPostgresProber();
  let rogue: RogueServer | undefined;
  afterEach(async () => {
    await rogue?.close();
    rogue = undefined;
  });

  it.each<[string, AuthRequest[], PostgresCredentials["tlsMode"]]>([
    ["cleartext at once", ["cleartext"], "Disabled"],
    ["cleartext at once, after refusing TLS", ["cleartext"], "Prefer"],
    // pg caches the password once it has answered MD5 and would answer cleartext synchronously
    ["MD5, then cleartext", ["md5", "cleartext"], "Disabled"],
  ])("%s: refused, no password byte sent", async (_, script, tlsMode) => {
    const server = await startRogue(script);
    rogue = server;
    const outcome = await probe("127.0.0.1", spec(server.port, tlsMode), 2_000);
    await server.idle();
    expect(outcome).toMatchObject({ ok: false, reason: CLEARTEXT_REFUSED });
    const sent = server.received();
    expect(sent.includes("user\0probe\0")).toBe(true);
    expect(sent.includes(PASSWORD)).toBe(false);
    // the MD5 request was answered with a hash, as it should be
    expect(sent.includes("md5")).toBe(script[0] === "md5");
  });

  it.each<[string, AuthRequest[]]>([
    ["cleartext at once", ["cleartext"]],
    ["MD5, then cleartext", ["md5", "cleartext"]],
  ])("control: node-postgres alone sends the password (%s)", async (_, script) => {
    const server = await startRogue(script);
    rogue = server;
    const client = new pg.Client({
      host: "127.0.0.1",
      port: server.port,
      user: "probe",
      password: PASSWORD,
    });
    client.on("error", () => undefined);
    await expect(client.connect()).rejects.toThrow(/Connection terminated/);
    await server.idle();
    expect(server.received().includes(PASSWORD)).toBe(true);
  });
});
