// The gRPC health prober against real gRPC servers on loopback: @grpc/grpc-js servers with the
// reference health service of grpc-health-check (its own protobuf encoding, not the agent's),
// plaintext and TLS with a CA made here. Each case proves the verdict and the reason the endpoint's
// status would show: SERVING, NOT_SERVING, an unknown service name, a server without the health
// service, a server that never answers, a refused port, and a certificate from another CA.

import * as grpc from "@grpc/grpc-js";
import { HealthImplementation, service as healthServiceDefinition } from "grpc-health-check";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import { buildProbe } from "../../images/agent/src/desired/probes.js";
import { probeGrpc } from "../../images/agent/src/probes/grpc.js";
import type { ProbeSpec } from "../../images/agent/src/probes/types.js";
import type { GRPCProbe } from "../../api/v1alpha1.js";
import { pod } from "../agent/fixtures.js";
import { grpcHealthServer } from "../cluster/backends/grpc-health.js";
import { closedPort, freePort } from "../support/loopback.js";
import { createTestPki, type TestPki } from "../support/tls.js";

const HOST = "127.0.0.1";

/** The ProbeSpec the agent builds for a `grpc` section (defaults applied). */
function grpcSpec(grpcProbe: GRPCProbe): ProbeSpec {
  const built = buildProbe(
    { mode: "GRPC", grpc: grpcProbe },
    pod({ name: "app" }),
    HOST,
    () => "pending",
  );
  if (!("spec" in built)) throw new Error(built.failure.reason);
  return built.spec;
}

/** A grpc-js server on loopback with `health` (none: a server without the health service). */
async function startGrpcServer(
  health: HealthImplementation | undefined,
  credentials = grpc.ServerCredentials.createInsecure(),
): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  health?.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${HOST}:0`, credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { server, port };
}

const stop = (server: grpc.Server): void => server.forceShutdown();

describe("gRPC health prober against grpc-js with grpc-health-check (plaintext)", () => {
  const health = new HealthImplementation({ "": "SERVING", "app.Orders": "SERVING" });
  let port = 0;
  let server: grpc.Server;
  beforeAll(async () => ({ server, port } = await startGrpcServer(health)));
  afterAll(() => stop(server));

  it("passes while the server's overall health is SERVING", async () => {
    const outcome = await probeGrpc(HOST, grpcSpec({ targetPort: port }), 2000);
    expect(outcome).toMatchObject({ ok: true, reason: "" });
  });

  it("follows a named service SERVING -> NOT_SERVING -> SERVING", async () => {
    const spec = grpcSpec({ targetPort: port, service: "app.Orders" });
    expect(await probeGrpc(HOST, spec, 2000)).toMatchObject({ ok: true });
    health.setStatus("app.Orders", "NOT_SERVING");
    expect(await probeGrpc(HOST, spec, 2000)).toMatchObject({
      ok: false,
      reason: "gRPC health NOT_SERVING",
    });
    health.setStatus("app.Orders", "SERVING");
    expect(await probeGrpc(HOST, spec, 2000)).toMatchObject({ ok: true });
  });

  it("fails an explicit UNKNOWN status by name", async () => {
    health.setStatus("app.Unknown", "UNKNOWN");
    const spec = grpcSpec({ targetPort: port, service: "app.Unknown" });
    expect(await probeGrpc(HOST, spec, 2000)).toMatchObject({
      ok: false,
      reason: "gRPC health UNKNOWN",
    });
  });

  it("fails a service name the health service does not know (NOT_FOUND) as SERVICE_UNKNOWN", async () => {
    const outcome = await probeGrpc(HOST, grpcSpec({ targetPort: port, service: "no.Such" }), 2000);
    expect(outcome).toMatchObject({
      ok: false,
      reason: 'gRPC health SERVICE_UNKNOWN: the health service does not know service "no.Such"',
    });
  });

  it("runs many checks at once, each on a connection of its own", async () => {
    const spec = grpcSpec({ targetPort: port });
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () => probeGrpc(HOST, spec, 5000)),
    );
    expect(outcomes.filter(o => !o.ok)).toEqual([]);
  });
});

describe("gRPC health prober against servers that cannot answer it", () => {
  it("fails a gRPC server without the health service as UNIMPLEMENTED", async () => {
    const { server, port } = await startGrpcServer(undefined);
    try {
      const outcome = await probeGrpc(HOST, grpcSpec({ targetPort: port }), 2000);
      expect(outcome).toMatchObject({
        ok: false,
        reason: "gRPC UNIMPLEMENTED: the server has no grpc.health.v1.Health service",
      });
    } finally {
      stop(server);
    }
  });

  it("fails with a timeout on a server that accepts and never answers", async () => {
    const sockets = new Set<Socket>();
    const silent: NetServer = createServer(socket => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>(resolve => silent.listen(0, HOST, resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const outcome = await probeGrpc(HOST, grpcSpec({ targetPort: port }), 300);
      expect(outcome).toMatchObject({ ok: false, reason: "timeout after 300 ms" });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise(resolve => silent.close(resolve));
    }
  });

  it("fails a refused port at the connect step", async () => {
    const port = await closedPort(HOST);
    const outcome = await probeGrpc(HOST, grpcSpec({ targetPort: port }), 2000);
    expect(outcome).toMatchObject({ ok: false, reason: "connect ECONNREFUSED" });
  });

  it("fails an HTTP/1.1 server that is not gRPC, without hanging", async () => {
    const http1: NetServer = createServer(socket => {
      socket.on("error", () => undefined);
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    });
    await new Promise<void>(resolve => http1.listen(0, HOST, resolve));
    const port = (http1.address() as { port: number }).port;
    try {
      const outcome = await probeGrpc(HOST, grpcSpec({ targetPort: port }), 2000);
      expect(outcome).toMatchObject({ ok: false, reason: "gRPC ERR_HTTP2_ERROR" });
    } finally {
      await new Promise(resolve => http1.close(resolve));
    }
  });
});

describe("gRPC health prober over TLS", () => {
  let pki: TestPki;
  let other: TestPki;
  let server: grpc.Server;
  let port = 0;
  const health = new HealthImplementation({ "": "SERVING" });

  beforeAll(async () => {
    pki = await createTestPki("swh grpc test CA");
    other = await createTestPki("some other CA");
    const issued = await pki.issue({ commonName: "grpc", ipAddresses: [HOST] });
    const credentials = grpc.ServerCredentials.createSsl(null, [
      { cert_chain: Buffer.from(issued.cert), private_key: Buffer.from(issued.key) },
    ]);
    ({ server, port } = await startGrpcServer(health, credentials));
  });
  afterAll(async () => {
    stop(server);
    await pki.dispose();
    await other.dispose();
  });

  it("passes with the server verified against caCert", async () => {
    const spec = grpcSpec({ targetPort: port, scheme: "HTTPS", caCert: pki.caCert });
    expect(await probeGrpc(HOST, spec, 2000)).toMatchObject({ ok: true, reason: "" });
    health.setStatus("", "NOT_SERVING");
    expect(await probeGrpc(HOST, spec, 2000)).toMatchObject({
      ok: false,
      reason: "gRPC health NOT_SERVING",
    });
    health.setStatus("", "SERVING");
  });

  it("fails at the TLS step when the certificate comes from another CA", async () => {
    const spec = grpcSpec({ targetPort: port, scheme: "HTTPS", caCert: other.caCert });
    expect(await probeGrpc(HOST, spec, 2000)).toMatchObject({
      ok: false,
      reason: "TLS UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
  });

  it("passes without verification when insecureSkipTLSVerify is set", async () => {
    const spec = grpcSpec({ targetPort: port, scheme: "HTTPS", insecureSkipTLSVerify: true });
    expect(await probeGrpc(HOST, spec, 2000)).toMatchObject({ ok: true });
  });

  it("fails plaintext against the TLS port, and TLS against a plaintext port", async () => {
    const plain = await probeGrpc(HOST, grpcSpec({ targetPort: port }), 1000);
    expect(plain.ok).toBe(false);
    const { server: plainServer, port: plainPort } = await startGrpcServer(health);
    try {
      const spec = grpcSpec({
        targetPort: plainPort,
        scheme: "HTTPS",
        insecureSkipTLSVerify: true,
      });
      const outcome = await probeGrpc(HOST, spec, 1000);
      expect(outcome.ok).toBe(false);
      expect(outcome.reason).toMatch(/^TLS [A-Z_]+$/);
    } finally {
      stop(plainServer);
    }
  });

  it("fails every probe with a caCert that holds no certificate", async () => {
    const spec = grpcSpec({
      targetPort: port,
      scheme: "HTTPS",
      caCert: "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
    });
    const outcome = await probeGrpc(HOST, spec, 1000);
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toMatch(/^invalid caCert/);
  });
});

describe("the test backends' gRPC health server (tests/cluster/backends/grpc-health.ts)", () => {
  const backend = { server: undefined as ReturnType<typeof grpcHealthServer> | undefined, port: 0 };
  beforeAll(async () => {
    backend.port = await freePort(HOST);
    backend.server = grpcHealthServer({ name: "grpc", host: HOST, port: backend.port });
    await backend.server.start();
  });
  afterAll(() => backend.server?.stop());

  type CheckCall = (
    request: { service: string },
    callback: (error: grpc.ServiceError | null, reply?: { status: string }) => void,
  ) => void;

  /** Check through grpc-js with grpc-health-check's own definition (protobufjs decoding). */
  async function referenceCheck(serviceName: string): Promise<string> {
    const Client = grpc.makeGenericClientConstructor(healthServiceDefinition, "Health");
    const client = new Client(`${HOST}:${backend.port}`, grpc.credentials.createInsecure());
    try {
      return await new Promise<string>(resolve =>
        (client as unknown as { check: CheckCall }).check(
          { service: serviceName },
          (error: grpc.ServiceError | null, reply?: { status: string }) =>
            resolve(error ? `error ${grpc.status[error.code]}` : String(reply?.status)),
        ),
      );
    } finally {
      client.close();
    }
  }

  it("answers the reference client as grpc-health-check would", async () => {
    backend.server!.setGrpcHealth("NOT_SERVING", "app.Orders");
    expect(await referenceCheck("")).toBe("SERVING");
    expect(await referenceCheck("app.Orders")).toBe("NOT_SERVING");
    expect(await referenceCheck("no.Such")).toBe("error NOT_FOUND");
  });

  it("flips the agent's verdict SERVING -> NOT_SERVING -> SERVICE_UNKNOWN -> SERVING", async () => {
    const spec = grpcSpec({ targetPort: backend.port });
    const verdicts: string[] = [];
    for (const status of ["SERVING", "NOT_SERVING", "SERVICE_UNKNOWN", "SERVING"] as const) {
      backend.server!.setGrpcHealth(status);
      const outcome = await probeGrpc(HOST, spec, 2000);
      verdicts.push(outcome.ok ? "pass" : outcome.reason);
    }
    expect(verdicts).toEqual([
      "pass",
      "gRPC health NOT_SERVING",
      "gRPC health SERVICE_UNKNOWN",
      "pass",
    ]);
  });

  it("is refused while stopped and serves the same statuses once started again", async () => {
    const spec = grpcSpec({ targetPort: backend.port, service: "app.Orders" });
    await backend.server!.stop();
    expect(await probeGrpc(HOST, spec, 2000)).toMatchObject({ reason: "connect ECONNREFUSED" });
    await backend.server!.start();
    expect(await probeGrpc(HOST, spec, 2000)).toMatchObject({ reason: "gRPC health NOT_SERVING" });
    expect(backend.server!.info()).toMatchObject({ kind: "grpc", listening: true });
  });
});
