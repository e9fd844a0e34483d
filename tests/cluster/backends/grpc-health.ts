// A real gRPC server (@grpc/grpc-js) serving the standard health service, grpc.health.v1.Health
// Check, with statuses the test sets per service name: the workload the agent's GRPC probes check
// in the e2e scenarios. It answers as grpc-health-check's HealthImplementation does (an unknown
// service name is NOT_FOUND); grpc-health-check itself is not used here because it loads its
// .proto file from disk beside its module at import time, which a bundled daemon does not have.
// The two one-field messages are therefore (de)serialised below, independently of the agent's
// codec (the integration test checks this server with grpc-health-check's own definition).
import * as grpc from "@grpc/grpc-js";
import type { PodServer, ServerInfo } from "./servers.js";

/** HealthCheckResponse.ServingStatus values a test may set. */
export const GRPC_SERVING_STATUSES = [
  "UNKNOWN",
  "SERVING",
  "NOT_SERVING",
  "SERVICE_UNKNOWN",
] as const;
export type GrpcServingStatus = (typeof GRPC_SERVING_STATUSES)[number];

/** HealthCheckRequest.service (field 1, a string) from its protobuf bytes. */
export function decodeServiceName(bytes: Buffer): string {
  let service = "";
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; at < bytes.length; shift += 7) {
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw new Error("truncated varint");
  };
  while (at < bytes.length) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 0) varint();
    else if (wire === 2) {
      const length = varint();
      if (tag >> 3 === 1) service = bytes.toString("utf8", at, at + length);
      at += length;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return service;
}

/** HealthCheckResponse bytes for `status` (status = field 1, varint; 0 is omitted). */
export function encodeServingStatus(status: GrpcServingStatus): Buffer {
  const value = GRPC_SERVING_STATUSES.indexOf(status);
  return value === 0 ? Buffer.alloc(0) : Buffer.from([0x08, value]);
}

/** grpc.health.v1.Health with Check only (the benchmark's targets serve it too). */
export const HEALTH_SERVICE: grpc.ServiceDefinition = {
  Check: {
    path: "/grpc.health.v1.Health/Check",
    requestStream: false,
    responseStream: false,
    requestSerialize: () => Buffer.alloc(0),
    // An object, not the bare name: grpc-js takes a falsy message ("") for no message at all.
    requestDeserialize: (bytes: Buffer) => ({ service: decodeServiceName(bytes) }),
    responseSerialize: encodeServingStatus,
    responseDeserialize: (bytes: Buffer) => bytes,
    originalName: "check",
  },
};

/**
 * A gRPC health server on host:port: the overall health ("") starts SERVING; `setGrpcHealth`
 * sets any service's status. Stopping drops every connection; starting again keeps the statuses.
 */
export function grpcHealthServer(opts: {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}): PodServer {
  const statuses = new Map<string, GrpcServingStatus>([["", "SERVING"]]);
  let hits = 0;
  let server: grpc.Server | undefined;
  const check: grpc.handleUnaryCall<{ service: string }, GrpcServingStatus> = (call, callback) => {
    hits += 1;
    const { service } = call.request;
    const status = statuses.get(service);
    if (status === undefined) {
      callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${service}` });
    } else callback(null, status);
  };
  const info = (): ServerInfo => ({
    name: opts.name,
    kind: "grpc",
    host: opts.host,
    port: opts.port,
    listening: server !== undefined,
    grpcHealth: Object.fromEntries(statuses),
    hits,
  });
  return {
    info,
    async start() {
      if (server !== undefined) return;
      const next = new grpc.Server();
      next.addService(HEALTH_SERVICE, { Check: check });
      await new Promise<number>((resolve, reject) =>
        next.bindAsync(
          `${opts.host}:${opts.port}`,
          grpc.ServerCredentials.createInsecure(),
          (error, port) => (error ? reject(error) : resolve(port)),
        ),
      );
      server = next;
    },
    async stop() {
      server?.forceShutdown();
      server = undefined;
      await Promise.resolve();
    },
    setHealth() {
      throw new Error(`${opts.name} is a gRPC server: set its gRPC health instead`);
    },
    setSmtpMode() {
      throw new Error(`${opts.name} is a gRPC server: set its gRPC health instead`);
    },
    setGrpcHealth(status: GrpcServingStatus, service = "") {
      statuses.set(service, status);
    },
  };
}
