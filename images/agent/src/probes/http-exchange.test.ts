// The HTTP prober against scripted servers on loopback: raw TCP (and TLS) servers that answer
// exactly what each test needs, byte by byte, and record how the agent ended each connection.
// They cover what a well-behaved server never does: a status line split across TCP segments,
// HTTP/1.0, interim responses, garbage, an oversized or endless body, a server that never answers
// or closes without a word, resets, and TLS against a plain server. They also check the close
// policy: the server closes first, so no TIME_WAIT is left on the agent's side; the agent resets
// only when it stops reading early.

import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { blackholeAvailable, startBlackhole } from "../../../../tests/support/blackhole.js";
import { countTcpSockets, TCP_STATE } from "../../../../tests/support/proc-net.js";
import { waitFor } from "../../../../tests/support/wait-for.js";
import { createTestPki, type TestPki } from "../../../../tests/support/tls.js";
import { createHttpProber, type HttpProber } from "./http.js";
import { RESPONSE_ERRORS } from "./http-response.js";
import type { ProbeSpec } from "./types.js";

type HttpSpec = Extract<ProbeSpec, { mode: "HTTP" }>;

/** How a connection ended, seen from the server. */
type Ending = "open" | "fin" | "reset";

/** A connection as the scripted server saw it. */
interface Connection {
  received: string;
  ending: Ending;
}

/** What the server does with each connection: writes, waits, closes. */
type Script = (socket: Socket) => void | Promise<void>;

interface ScriptedServer {
  readonly port: number;
  readonly connections: Connection[];
  close(): Promise<void>;
}

/** Starts a TCP (or, with `tls`, TLS) server running `script` on every connection. */
async function startScripted(
  script: Script,
  tls?: { cert: string; key: string },
): Promise<ScriptedServer> {
  const connections: Connection[] = [];
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket): void => {
    const connection: Connection = { received: "", ending: "open" };
    connections.push(connection);
    sockets.add(socket);
    socket.on("data", (chunk: Buffer) => {
      connection.received += chunk.toString("latin1");
    });
    socket.on("end", () => {
      if (connection.ending === "open") connection.ending = "fin";
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET") connection.ending = "reset";
    });
    socket.on("close", () => sockets.delete(socket));
    void script(socket);
  };
  const server: Server =
    tls === undefined
      ? createServer(onConnection)
      : createTlsServer(tls, onConnection).on("tlsClientError", () => undefined);
  await new Promise<void>(resolve => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no address bound");
  return {
    port: address.port,
    connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms));

/** Resolves once the request's head has arrived on `socket`. */
function requestHead(socket: Socket): Promise<void> {
  return new Promise(resolve => {
    let text = "";
    const onData = (chunk: Buffer): void => {
      text += chunk.toString("latin1");
      if (!text.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      resolve();
    };
    socket.on("data", onData);
  });
}

/** Writes `pieces` one by one, `gapMs` apart (separate TCP segments), then ends if asked. */
function answer(pieces: readonly string[], options: { gapMs?: number; end?: boolean } = {}) {
  return async (socket: Socket): Promise<void> => {
    await requestHead(socket);
    for (const [i, piece] of pieces.entries()) {
      if (i > 0 && options.gapMs !== undefined) await sleep(options.gapMs);
      if (socket.destroyed) return;
      socket.write(piece);
    }
    if (options.end ?? true) socket.end();
  };
}

/**
 * TIME_WAIT sockets on the agent's side of connections to `port`: remote port `port`. The
 * server's own TIME_WAITs (local port `port`) are not counted.
 */
function agentTimeWaits(port: number): Promise<number> {
  return countTcpSockets(port, TCP_STATE.TIME_WAIT, { side: "remote" });
}

function httpSpec(port: number, overrides: Partial<HttpSpec> = {}): HttpSpec {
  return {
    mode: "HTTP",
    port,
    path: "/",
    headers: [],
    method: "GET",
    scheme: "HTTP",
    insecureSkipTLSVerify: false,
    expectedStatusCodes: [],
    ...overrides,
  };
}

describe("HTTP prober against scripted servers", () => {
  let prober: HttpProber;
  let server: ScriptedServer | undefined;
  const probe = async (script: Script, timeoutMs = 1_000, spec: Partial<HttpSpec> = {}) => {
    server = await startScripted(script);
    return prober.probe("127.0.0.1", httpSpec(server.port, spec), timeoutMs);
  };

  beforeEach(() => {
    prober = createHttpProber();
  });
  afterEach(async () => {
    prober.close();
    await server?.close();
    server = undefined;
  });

  it("sends one HTTP/1.1 request with Connection: close", async () => {
    await probe(answer(["HTTP/1.1 200 OK\r\n\r\n"]), 1_000, { path: "/ready", host: "a.example" });
    await waitFor(() => server!.connections[0]?.ending === "fin");
    expect(server!.connections[0]!.received).toBe(
      "GET /ready HTTP/1.1\r\nhost: a.example\r\nuser-agent: swh-agent/1\r\n" +
        "connection: close\r\n\r\n",
    );
  });

  it("reads a status line split across TCP segments", async () => {
    const pieces = ["HTT", "P/1.1 2", "04 No Content\r", "\n", "\r\n"];
    const outcome = await probe(answer(pieces, { gapMs: 20 }));
    expect(outcome).toMatchObject({ ok: true, reason: "" });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(70);
  });

  it.each([
    ["HTTP/1.0 200 OK\r\n\r\nok", true, ""],
    ["HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\ndown", false, "HTTP 503"],
    ["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true, ""],
    ["HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 500 Oops\r\n\r\n", false, "HTTP 500"],
  ])("judges %j by its final status", async (response, ok, reason) => {
    expect(await probe(answer([response]))).toMatchObject({ ok, reason });
  });

  it("fails a response that is not HTTP with a clear reason, and resets", async () => {
    const outcome = await probe(answer(["SSH-2.0-OpenSSH_9.2\r\n"], { end: false }));
    expect(outcome).toMatchObject({ ok: false, reason: RESPONSE_ERRORS.notHttp });
    await waitFor(() => server!.connections[0]?.ending === "reset");
  });

  it("fails when the server closes without a response", async () => {
    const outcome = await probe(async socket => {
      await requestHead(socket);
      socket.end();
    });
    expect(outcome).toMatchObject({ ok: false, reason: RESPONSE_ERRORS.closedBeforeResponse });
  });

  it("fails when the server closes in the middle of the head", async () => {
    const outcome = await probe(answer(["HTTP/1.1 200 OK\r\nContent-Len"]));
    expect(outcome).toMatchObject({ ok: false, reason: RESPONSE_ERRORS.closedInHead });
  });

  it("fails with the reset when the server resets the connection", async () => {
    const outcome = await probe(async socket => {
      await requestHead(socket);
      socket.resetAndDestroy();
    });
    expect(outcome).toMatchObject({ ok: false, reason: "HTTP ECONNRESET" });
  });

  it("times out on a server that accepts and never answers, then resets", async () => {
    const outcome = await probe(() => undefined, 200);
    expect(outcome).toMatchObject({ ok: false, reason: "timeout after 200 ms" });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(190);
    expect(outcome.durationMs).toBeLessThan(1_000);
    await waitFor(() => server!.connections[0]?.ending === "reset");
  });

  it("times out on a head that never ends", async () => {
    const outcome = await probe(answer(["HTTP/1.1 200 OK\r\n", "X-A: 1\r\n"], { end: false }), 200);
    expect(outcome).toMatchObject({ ok: false, reason: "timeout after 200 ms" });
  });

  it("passes on the head and resets once the body exceeds the cap", async () => {
    const body = "x".repeat(64 * 1024);
    const outcome = await probe(answer([`HTTP/1.1 200 OK\r\n\r\n${body}`], { end: false }), 5_000);
    expect(outcome).toMatchObject({ ok: true });
    await waitFor(() => server!.connections[0]?.ending === "reset", 1_000);
  });

  it("reads a body within the cap to the end and lets the server close first", async () => {
    const body = "y".repeat(4096);
    const connections = 20;
    server = await startScripted(
      answer([`HTTP/1.1 200 OK\r\n\r\n${body.slice(0, 100)}`, body.slice(100)]),
    );
    // Any TIME_WAIT already on the port (left by an earlier user of it) is not the prober's.
    const timeWaitsBefore = await agentTimeWaits(server.port);
    for (let i = 0; i < connections; i++) {
      expect(await prober.probe("127.0.0.1", httpSpec(server.port), 1_000)).toMatchObject({
        ok: true,
      });
    }
    await waitFor(() => server!.connections.every(c => c.ending === "fin"));
    expect(server.connections).toHaveLength(connections);
    expect(await agentTimeWaits(server.port)).toBeLessThanOrEqual(timeWaitsBefore);
  });

  it("cuts off a body still coming when the timeout fires, without failing the probe", async () => {
    const outcome = await probe(async socket => {
      await requestHead(socket);
      socket.write("HTTP/1.1 200 OK\r\n\r\n");
      const timer = setInterval(() => socket.write("."), 20);
      socket.on("close", () => clearInterval(timer));
    }, 200);
    expect(outcome).toMatchObject({ ok: true });
    await waitFor(() => server!.connections[0]?.ending === "reset", 1_000);
  });

  it("resets, at the timeout, a server that ignores Connection: close", async () => {
    const response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok";
    const outcome = await probe(answer([response], { end: false }), 300);
    expect(outcome).toMatchObject({ ok: true });
    expect(outcome.durationMs).toBeLessThan(200);
    expect(server!.connections[0]!.ending).toBe("open");
    await waitFor(() => server!.connections[0]?.ending === "reset", 1_000);
  });

  it("times out when the connection is never accepted", async () => {
    if (!blackholeAvailable()) {
      console.warn("skipped: python3 (needed for the full-backlog listener) is not installed");
      return;
    }
    const hole = await startBlackhole();
    try {
      const outcome = await prober.probe(hole.host, httpSpec(hole.port), 200);
      expect(outcome).toMatchObject({ ok: false, reason: "timeout after 200 ms" });
    } finally {
      await hole.close();
    }
  });
});

describe("HTTPS prober against scripted servers", () => {
  let pki: TestPki;
  let tls: { cert: string; key: string };
  let prober: HttpProber;
  let server: ScriptedServer | undefined;
  const https = (port: number): HttpSpec => httpSpec(port, { scheme: "HTTPS", caCert: pki.caCert });

  beforeAll(async () => {
    pki = await createTestPki("scripted TLS CA");
    tls = await pki.issue({ commonName: "scripted", ipAddresses: ["127.0.0.1"] });
  });
  afterAll(() => pki.dispose());
  beforeEach(() => {
    prober = createHttpProber();
  });
  afterEach(async () => {
    prober.close();
    await server?.close();
    server = undefined;
  });

  it("reads a response over TLS and lets the server close first", async () => {
    server = await startScripted(answer(["HTTP/1.1 20", "0 OK\r\n\r\nok"], { gapMs: 10 }), tls);
    expect(await prober.probe("127.0.0.1", https(server.port), 2_000)).toMatchObject({ ok: true });
    await waitFor(() => server!.connections[0]?.ending === "fin");
  });

  it("resets a TLS connection whose body exceeds the cap", async () => {
    const body = "z".repeat(64 * 1024);
    server = await startScripted(answer([`HTTP/1.1 200 OK\r\n\r\n${body}`], { end: false }), tls);
    expect(await prober.probe("127.0.0.1", https(server.port), 5_000)).toMatchObject({ ok: true });
    await waitFor(() => server!.connections[0]?.ending === "reset", 1_000);
  });

  it("fails with a TLS reason against a server that does not speak TLS", async () => {
    server = await startScripted(socket => {
      socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    const outcome = await prober.probe("127.0.0.1", https(server.port), 2_000);
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toMatch(/^TLS /);
  });

  it("times out in the handshake against a server that never answers, then resets", async () => {
    server = await startScripted(() => undefined);
    const outcome = await prober.probe("127.0.0.1", https(server.port), 200);
    expect(outcome).toMatchObject({ ok: false, reason: "timeout after 200 ms" });
    await waitFor(() => server!.connections[0]?.ending === "reset");
  });

  it("fails with connect ECONNREFUSED when nothing listens", async () => {
    server = await startScripted(() => undefined);
    const port = server.port;
    await server.close();
    server = undefined;
    const outcome = await prober.probe("127.0.0.1", https(port), 1_000);
    expect(outcome).toMatchObject({ ok: false, reason: "connect ECONNREFUSED" });
  });
});
