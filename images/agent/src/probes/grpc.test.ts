// The gRPC prober's HTTP/2 side against small node:http2 servers on loopback that answer in the
// shapes a real gRPC server may (trailers-only errors, a status in the trailers) and in ways a
// broken one does (a stream reset, an endless body, a TLS server without h2). Real gRPC servers
// are in tests/integration/grpc-probe.test.ts.
import {
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type ServerHttp2Stream,
} from "node:http2";
import { createServer as createNetServer, type Server as NetServer } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { createTestPki, type TestPki } from "../../../../tests/support/tls.js";
import { probeGrpc } from "./grpc.js";
import type { ProbeSpec } from "./types.js";

const HOST = "127.0.0.1";

const spec = (
  port: number,
  extra: Partial<Extract<ProbeSpec, { mode: "GRPC" }>> = {},
): ProbeSpec => ({
  mode: "GRPC",
  port,
  service: "",
  scheme: "HTTP",
  insecureSkipTLSVerify: false,
  ...extra,
});

type Server = Http2Server | Http2SecureServer | TlsServer | NetServer;

async function listen<S extends Server>(server: S): Promise<{ server: S; port: number }> {
  await new Promise<void>(resolve => server.listen(0, HOST, resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** An h2c server answering every stream with `answer`; records the request headers and body. */
async function h2c(answer: (stream: ServerHttp2Stream) => void) {
  const seen: Array<{ headers: Record<string, unknown>; body: Buffer }> = [];
  const server = createServer();
  server.on("stream", (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      seen.push({ headers, body: Buffer.concat(chunks) });
      answer(stream);
    });
    stream.on("error", () => undefined);
  });
  server.on("sessionError", () => undefined);
  return { ...(await listen(server)), seen };
}

const close = (server: Server) => new Promise(resolve => server.close(resolve));

describe("probeGrpc", () => {
  it("sends the health check call and reads a status from the trailers", async () => {
    const { server, port, seen } = await h2c(stream => {
      stream.respond(
        { ":status": 200, "content-type": "application/grpc" },
        { waitForTrailers: true },
      );
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, 1]));
    });
    try {
      const outcome = await probeGrpc(HOST, spec(port, { service: "a.B" }), 1000);
      expect(outcome).toMatchObject({ ok: true, reason: "" });
      expect(seen[0]?.headers).toMatchObject({
        ":method": "POST",
        ":path": "/grpc.health.v1.Health/Check",
        ":scheme": "http",
        ":authority": `${HOST}:${port}`,
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": "1000m",
      });
      expect([...seen[0]!.body]).toEqual([0, 0, 0, 0, 5, 0x0a, 3, 0x61, 0x2e, 0x42]);
    } finally {
      await close(server);
    }
  });

  it("reads a trailers-only error response", async () => {
    const { server, port } = await h2c(stream =>
      stream.respond(
        {
          ":status": 200,
          "content-type": "application/grpc",
          "grpc-status": "14",
          "grpc-message": "going%20away",
        },
        { endStream: true },
      ),
    );
    try {
      expect(await probeGrpc(HOST, spec(port), 1000)).toMatchObject({
        ok: false,
        reason: "gRPC UNAVAILABLE: going away",
      });
    } finally {
      await close(server);
    }
  });

  it("fails a stream the server resets", async () => {
    const { server, port } = await h2c(stream => stream.close(2 /* INTERNAL_ERROR */));
    try {
      expect(await probeGrpc(HOST, spec(port), 1000)).toMatchObject({
        ok: false,
        reason: "gRPC stream reset by the server: INTERNAL_ERROR",
      });
    } finally {
      await close(server);
    }
  });

  it("says so when the server closes the connection before answering", async () => {
    const hangUp = createNetServer(socket => socket.destroy());
    const { server, port } = await listen(hangUp);
    try {
      const outcome = await probeGrpc(HOST, spec(port), 1000);
      expect(outcome.ok).toBe(false);
      // An RST may overtake the FIN when the request was already on its way.
      expect(outcome.reason).toMatch(
        /^gRPC(: the server closed the connection before answering| ECONNRESET)$/,
      );
    } finally {
      await close(server);
    }
  });

  it("stops reading a response body over 4 KiB", async () => {
    const { server, port } = await h2c(stream => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.write(Buffer.alloc(8192));
    });
    try {
      expect(await probeGrpc(HOST, spec(port), 1000)).toMatchObject({
        ok: false,
        reason: "gRPC response over 4096 bytes",
      });
    } finally {
      await close(server);
    }
  });

  it("times out a server that takes the call and never answers", async () => {
    const { server, port } = await h2c(() => undefined);
    try {
      expect(await probeGrpc(HOST, spec(port), 200)).toMatchObject({
        ok: false,
        reason: "timeout after 200 ms",
      });
    } finally {
      await close(server);
    }
  });

  it("refuses to run another mode's probe and a caCert without a certificate", async () => {
    expect(await probeGrpc(HOST, { mode: "TCP", port: 1 }, 100)).toMatchObject({
      ok: false,
      reason: "gRPC prober given a TCP probe",
    });
    const outcome = await probeGrpc(HOST, spec(1, { scheme: "HTTPS", caCert: "nothing" }), 100);
    expect(outcome).toMatchObject({
      ok: false,
      reason: "invalid caCert: no PEM certificate found",
    });
  });
});

describe("probeGrpc over TLS", () => {
  let pki: TestPki;
  let tlsOptions: { cert: string; key: string };
  beforeAll(async () => {
    pki = await createTestPki("grpc unit CA");
    const issued = await pki.issue({ commonName: "grpc", ipAddresses: [HOST] });
    tlsOptions = { cert: issued.cert, key: issued.key };
  });
  afterAll(() => pki.dispose());

  it("negotiates h2 and checks the certificate against the pod address", async () => {
    const h2 = createSecureServer(tlsOptions);
    h2.on("stream", stream => {
      stream.on("error", () => undefined);
      stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "0" });
      stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, 2]));
    });
    const { server, port } = await listen(h2);
    try {
      const outcome = await probeGrpc(
        HOST,
        spec(port, { scheme: "HTTPS", caCert: pki.caCert }),
        1000,
      );
      expect(outcome).toMatchObject({ ok: false, reason: "gRPC health NOT_SERVING" });
    } finally {
      await close(server);
    }
  });

  it("fails a TLS server that does not agree to h2", async () => {
    const tls = createTlsServer({ ...tlsOptions, ALPNProtocols: ["http/1.1"] }, socket =>
      socket.on("error", () => undefined),
    );
    tls.on("tlsClientError", () => undefined);
    const { server, port } = await listen(tls);
    try {
      const outcome = await probeGrpc(
        HOST,
        spec(port, { scheme: "HTTPS", caCert: pki.caCert }),
        1000,
      );
      expect(outcome.ok).toBe(false);
      expect(outcome.reason).toMatch(/^TLS/);
    } finally {
      await close(server);
    }
  });
});
