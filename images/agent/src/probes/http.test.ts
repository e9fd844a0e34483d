// Real-socket tests of the HTTP prober on loopback against Node's own HTTP(S) servers: status
// judgement, no redirect following, request shape (path, Host, headers, method, Connection:
// close), bounded bodies, timeouts, a connection per probe, HTTPS trust (caCert, insecure, SNI,
// hostname and expiry checks) and TLS session resumption within its limits. Malformed and
// misbehaving servers are in http-exchange.test.ts.

import { createServer as createHttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { closedPort, ipv6LoopbackAvailable } from "../../../../tests/support/loopback.js";
import { startHttpServer, type TestHttpServer } from "../../../../tests/support/http-server.js";
import {
  createTestPki,
  type IssuedCertificate,
  type TestPki,
} from "../../../../tests/support/tls.js";
import { createHttpProber, type HttpProber } from "./http.js";
import type { ProbeSpec } from "./types.js";

type HttpSpec = Extract<ProbeSpec, { mode: "HTTP" }>;

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

describe("HTTP prober over plain HTTP", () => {
  let server: TestHttpServer;
  let prober: HttpProber;
  const probe = (spec: HttpSpec, timeoutMs = 1_000) => prober.probe("127.0.0.1", spec, timeoutMs);

  beforeAll(async () => {
    server = await startHttpServer();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    prober = createHttpProber();
  });
  afterEach(() => prober.close());

  it.each([
    // the default range accepts 2xx and 3xx
    ["/status/200", [], true, ""],
    ["/status/204", [], true, ""],
    ["/status/399", [], true, ""],
    // 4xx and 5xx fail with the code as the reason
    ["/status/404", [], false, "HTTP 404"],
    ["/status/503", [], false, "HTTP 503"],
    // explicit ranges replace the default one
    ["/status/503", [[500, 599]], true, ""],
    ["/status/200", [[500, 599]], false, "HTTP 200"],
    [
      "/status/204",
      [
        [200, 200],
        [204, 204],
      ],
      true,
      "",
    ],
  ] as const)("GET %s with ranges %j: ok=%s", async (path, ranges, ok, reason) => {
    const outcome = await probe(httpSpec(server.port, { path, expectedStatusCodes: ranges }));
    expect(outcome).toEqual({ ok, reason, durationMs: expect.any(Number) });
  });

  it("never follows a redirect: a 302 is judged by its code", async () => {
    const before = server.requests.length;
    expect((await probe(httpSpec(server.port, { path: "/redirect" }))).ok).toBe(true);
    const strict = await probe(
      httpSpec(server.port, { path: "/redirect", expectedStatusCodes: [[200, 299]] }),
    );
    expect(strict).toMatchObject({ ok: false, reason: "HTTP 302" });
    expect(server.requests.slice(before).map(r => r.url)).toEqual(["/redirect", "/redirect"]);
  });

  it("normalises the path and sends method, Host and headers", async () => {
    const before = server.requests.length;
    await probe(
      httpSpec(server.port, {
        path: "//echo",
        method: "HEAD",
        headers: [
          { name: "X-Probe", value: "a" },
          { name: "x-probe", value: "b" },
        ],
      }),
    );
    await probe(httpSpec(server.port, { path: "status/200?x=1#frag", host: "app.example" }));
    const [head, get] = server.requests.slice(before);
    expect(head).toMatchObject({ method: "HEAD", url: "/echo" });
    expect(head!.headers.host).toBe(`127.0.0.1:${server.port}`);
    expect(head!.headers["x-probe"]).toBe("a, b");
    expect(head!.headers["user-agent"]).toBe("swh-agent/1");
    expect(get).toMatchObject({ method: "GET", url: "/status/200?x=1" });
    expect(get!.headers.host).toBe("app.example");
  });

  it("lets a probe header named Host override the default", async () => {
    const before = server.requests.length;
    await probe(httpSpec(server.port, { headers: [{ name: "HOST", value: "vhost.example" }] }));
    expect(server.requests[before]!.headers.host).toBe("vhost.example");
    expect(server.requests[before]!.rawHeaders.filter(h => /^host$/i.test(h))).toHaveLength(1);
  });

  // How the connection ends after the body cap or at the timeout (reset, not read to the end) is
  // asserted against a scripted server in http-exchange.test.ts; here, the verdicts.
  it("judges a large body by its head without reading it all", async () => {
    const outcome = await probe(httpSpec(server.port, { path: "/big" }));
    expect(outcome.ok).toBe(true);
    expect(outcome.durationMs).toBeLessThan(500);
  });

  it("judges a trickling body by its head, though the body outlasts the timeout", async () => {
    const outcome = await probe(httpSpec(server.port, { path: "/trickle" }), 300);
    expect(outcome.ok).toBe(true);
  });

  it("times out on slow response headers", async () => {
    const outcome = await probe(httpSpec(server.port, { path: "/slow/2000" }), 200);
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toBe("timeout after 200 ms");
    expect(outcome.durationMs).toBeGreaterThanOrEqual(190);
    expect(outcome.durationMs).toBeLessThan(1_000);
  });

  it("fails with ECONNREFUSED when nothing listens", async () => {
    const outcome = await probe(httpSpec(await closedPort()));
    expect(outcome).toMatchObject({ ok: false, reason: "connect ECONNREFUSED" });
  });

  it("opens a connection per probe and asks the server to close it", async () => {
    const connections = server.connections();
    const requests = server.requests.length;
    for (let i = 0; i < 5; i++) expect((await probe(httpSpec(server.port))).ok).toBe(true);
    expect(server.connections() - connections).toBe(5);
    const sent = server.requests.slice(requests).map(r => r.headers.connection);
    expect(sent).toEqual(["close", "close", "close", "close", "close"]);
    expect(prober.targets()).toBe(1);
  });

  it("sends Connection: close even when the probe's headers ask for keep-alive", async () => {
    const before = server.requests.length;
    await probe(httpSpec(server.port, { headers: [{ name: "Connection", value: "keep-alive" }] }));
    expect(server.requests[before]!.headers.connection).toBe("close");
  });

  it("fails a request it cannot send with a reason, without a connection", async () => {
    const connections = server.connections();
    const outcome = await probe(
      httpSpec(server.port, { headers: [{ name: "X-Bad", value: "a\r\nInjected: 1" }] }),
    );
    expect(outcome).toMatchObject({
      ok: false,
      reason: "HTTP request: invalid value of header x-bad",
    });
    expect(server.connections()).toBe(connections);
  });

  it("rejects a spec of another mode without throwing", async () => {
    const outcome = await prober.probe("127.0.0.1", { mode: "TCP", port: server.port }, 1_000);
    expect(outcome).toMatchObject({ ok: false, reason: "HTTP prober given a TCP probe" });
  });

  it("forgets every target on close()", async () => {
    await probe(httpSpec(server.port));
    expect(prober.targets()).toBe(1);
    prober.close();
    expect(prober.targets()).toBe(0);
  });

  it("probes an IPv6 literal with a bracketed Host header", async () => {
    if (!(await ipv6LoopbackAvailable())) {
      console.warn("skipped: IPv6 loopback (::1) is not available here");
      return;
    }
    const v6 = await startHttpServer({ host: "::1" });
    try {
      expect(await prober.probe("::1", httpSpec(v6.port, { path: "/echo" }), 1_000)).toMatchObject({
        ok: true,
      });
      expect(v6.requests[0]!.headers.host).toBe(`[::1]:${v6.port}`);
    } finally {
      await v6.close();
    }
  });
});

describe("HTTP prober over HTTPS", () => {
  let pki: TestPki;
  let otherPki: TestPki;
  let server: TestHttpServer;
  let expired: TestHttpServer;
  let prober: HttpProber;
  const https = (port: number, overrides: Partial<HttpSpec> = {}): HttpSpec =>
    httpSpec(port, { scheme: "HTTPS", path: "/status/200", ...overrides });

  beforeAll(async () => {
    pki = await createTestPki("probe test CA");
    otherPki = await createTestPki("unrelated CA");
    const cert: IssuedCertificate = await pki.issue({
      commonName: "app.example",
      dnsNames: ["app.example"],
      ipAddresses: ["127.0.0.1"],
    });
    const old = await pki.issue({ commonName: "old", ipAddresses: ["127.0.0.1"], days: -1 });
    server = await startHttpServer({ tls: cert });
    expired = await startHttpServer({ tls: old });
  });
  afterAll(async () => {
    await Promise.all([server.close(), expired.close(), pki.dispose(), otherPki.dispose()]);
  });
  beforeEach(() => {
    prober = createHttpProber();
  });
  afterEach(() => prober.close());

  it.each<[string, () => Partial<HttpSpec>, boolean, RegExp]>([
    // the test CA as caCert: chain verifies, the IP SAN matches the address
    ["trusted caCert, no host", () => ({ caCert: pki.caCert }), true, /^$/],
    // the host is checked against the DNS SAN and sent as SNI
    [
      "trusted caCert, matching host",
      () => ({ caCert: pki.caCert, host: "app.example" }),
      true,
      /^$/,
    ],
    // a host the certificate does not name
    [
      "trusted caCert, other host",
      () => ({ caCert: pki.caCert, host: "other.example" }),
      false,
      /^TLS ERR_TLS_CERT_ALTNAME_INVALID$/,
    ],
    // the system roots do not know the test CA
    ["system roots", () => ({}), false, /^TLS UNABLE_TO_VERIFY_LEAF_SIGNATURE$/],
    // an unrelated CA does not verify the chain either
    [
      "wrong caCert",
      () => ({ caCert: otherPki.caCert }),
      false,
      /^TLS UNABLE_TO_VERIFY_LEAF_SIGNATURE$/,
    ],
    // insecureSkipTLSVerify ignores trust and names
    ["insecure", () => ({ insecureSkipTLSVerify: true, host: "other.example" }), true, /^$/],
    // an unparsable caCert fails every probe with a clear reason
    ["garbage caCert", () => ({ caCert: "not a certificate" }), false, /^invalid caCert/],
  ])("%s", async (_, overrides, ok, reason) => {
    const outcome = await prober.probe("127.0.0.1", https(server.port, overrides()), 2_000);
    expect(outcome.ok).toBe(ok);
    expect(outcome.reason).toMatch(reason);
  });

  it("rejects an expired certificate", async () => {
    const outcome = await prober.probe(
      "127.0.0.1",
      https(expired.port, { caCert: pki.caCert }),
      2_000,
    );
    expect(outcome).toMatchObject({ ok: false, reason: "TLS CERT_HAS_EXPIRED" });
  });

  it("sends SNI for a host name and none for an IP address", async () => {
    const before = server.requests.length;
    await prober.probe(
      "127.0.0.1",
      https(server.port, { caCert: pki.caCert, host: "app.example" }),
      2_000,
    );
    await prober.probe("127.0.0.1", https(server.port, { caCert: pki.caCert }), 2_000);
    await prober.probe(
      "127.0.0.1",
      https(server.port, { insecureSkipTLSVerify: true, host: "127.0.0.1" }),
      2_000,
    );
    expect(server.requests.slice(before).map(r => r.servername)).toEqual([
      "app.example",
      false,
      false,
    ]);
  });

  it("opens a TLS connection per probe", async () => {
    const connections = server.connections();
    for (let i = 0; i < 3; i++) {
      expect(
        (await prober.probe("127.0.0.1", https(server.port, { caCert: pki.caCert }), 2_000)).ok,
      ).toBe(true);
    }
    expect(server.connections() - connections).toBe(3);
  });
});

describe("HTTP prober: TLS session resumption", () => {
  let pki: TestPki;
  let cert: IssuedCertificate;
  let server: ResumptionServer;
  const spec = (port: number): HttpSpec =>
    httpSpec(port, { scheme: "HTTPS", path: "/", caCert: pki.caCert });
  const run = async (prober: HttpProber, times: number): Promise<void> => {
    for (let i = 0; i < times; i++) {
      expect(await prober.probe("127.0.0.1", spec(server.port), 2_000)).toMatchObject({ ok: true });
    }
  };

  beforeAll(async () => {
    pki = await createTestPki("resumption test CA");
    cert = await pki.issue({ commonName: "resume", ipAddresses: ["127.0.0.1"] });
  });
  afterAll(() => pki.dispose());
  beforeEach(async () => {
    server = await startResumptionServer(cert);
  });
  afterEach(() => server.close());

  it("resumes the session of a full handshake on the target's next probes", async () => {
    const prober = createHttpProber();
    try {
      await run(prober, 4);
      expect(server.resumed).toEqual([false, true, true, true]);
      expect(prober.tlsSessions()).toBe(1);
    } finally {
      prober.close();
    }
  });

  it("verifies the certificate again once the session is older than the maximum age", async () => {
    const prober = createHttpProber({ tlsSessionMaxAgeMs: 150 });
    try {
      await run(prober, 2);
      await new Promise(resolve => setTimeout(resolve, 200));
      await run(prober, 2);
      expect(server.resumed).toEqual([false, true, false, true]);
    } finally {
      prober.close();
    }
  });

  it("keeps no session without a budget", async () => {
    const prober = createHttpProber({ tlsSessionBytes: 0 });
    try {
      await run(prober, 3);
      expect(server.resumed).toEqual([false, false, false]);
      expect(prober.tlsSessions()).toBe(0);
    } finally {
      prober.close();
    }
  });

  it("forgets the sessions of targets it sweeps", async () => {
    const prober = createHttpProber({ targetTtlMs: 100 });
    try {
      await run(prober, 1);
      expect(prober.tlsSessions()).toBe(1);
      await new Promise(resolve => setTimeout(resolve, 1_200));
      expect(prober.targets()).toBe(0);
      expect(prober.tlsSessions()).toBe(0);
    } finally {
      prober.close();
    }
  });
});

/** An HTTPS server that records, per connection, whether the client resumed a session. */
interface ResumptionServer {
  readonly port: number;
  readonly resumed: boolean[];
  close(): Promise<void>;
}

async function startResumptionServer(cert: IssuedCertificate): Promise<ResumptionServer> {
  const resumed: boolean[] = [];
  const server = createHttpsServer({ cert: cert.cert, key: cert.key }, (_request, response) => {
    response.writeHead(200, { "content-length": "2" }).end("ok");
  });
  server.on("secureConnection", (socket: TLSSocket) => resumed.push(socket.isSessionReused()));
  await new Promise<void>(resolve => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no HTTPS address bound");
  return {
    port: address.port,
    resumed,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}
