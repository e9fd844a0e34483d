// Every reason a gRPC health check can fail with, from the response as the prober collects it.
import {
  grpcCodeName,
  judgeHealthResponse,
  readableGrpcMessage,
  streamResetReason,
  type GrpcResponse,
} from "./grpc-verdict.js";

const frame = (...message: number[]): Uint8Array =>
  Uint8Array.from([0, 0, 0, 0, message.length, ...message]);

/** An OK call answering `status` (a ServingStatus number). */
const ok = (status: number): GrpcResponse => ({
  httpStatus: 200,
  contentType: "application/grpc",
  grpcStatus: "0",
  grpcMessage: undefined,
  data: frame(0x08, status),
});

/** A trailers-only error response. */
const error = (code: string, message?: string): GrpcResponse => ({
  httpStatus: 200,
  contentType: "application/grpc+proto",
  grpcStatus: code,
  grpcMessage: message,
  data: new Uint8Array(),
});

describe("judgeHealthResponse", () => {
  it("passes SERVING only", () => {
    expect(judgeHealthResponse(ok(1), "")).toBe("");
  });

  it.each([
    [0, "gRPC health UNKNOWN"],
    [2, "gRPC health NOT_SERVING"],
    [3, "gRPC health SERVICE_UNKNOWN"],
    [42, "gRPC health status 42"],
  ])("fails serving status %i as %j", (status, reason) => {
    expect(judgeHealthResponse(ok(status), "svc")).toBe(reason);
  });

  it("reads UNIMPLEMENTED as a server without the health service", () => {
    expect(judgeHealthResponse(error("12", "Method not found"), "")).toBe(
      "gRPC UNIMPLEMENTED: the server has no grpc.health.v1.Health service",
    );
  });

  it("reads NOT_FOUND as SERVICE_UNKNOWN for the service asked about", () => {
    expect(judgeHealthResponse(error("5"), "shop.v1.Orders")).toBe(
      'gRPC health SERVICE_UNKNOWN: the health service does not know service "shop.v1.Orders"',
    );
  });

  it.each([
    [error("14", "connections%20draining"), "gRPC UNAVAILABLE: connections draining"],
    [error("4"), "gRPC DEADLINE_EXCEEDED"],
    [error("7", "no\r\naccess"), "gRPC PERMISSION_DENIED: no access"],
    [error("99"), "gRPC code 99"],
    [error("x1"), 'gRPC: invalid grpc-status "x1"'],
    [{ ...ok(1), grpcStatus: undefined }, "gRPC: response without grpc-status"],
    [{ ...ok(1), httpStatus: 503 }, "gRPC: HTTP status 503"],
    [{ ...ok(1), httpStatus: undefined }, "gRPC stream closed before the response headers"],
    [
      { ...ok(1), contentType: "text/html; charset=utf-8" },
      'gRPC: response content-type "text/html; charset=utf-8", not application/grpc',
    ],
    [
      { ...ok(1), contentType: undefined },
      "gRPC: response content-type none, not application/grpc",
    ],
    [{ ...ok(1), data: new Uint8Array() }, "gRPC malformed response: no response message"],
    [{ ...ok(1), data: frame(0x08) }, "gRPC malformed response: malformed status field"],
  ])("fails %j as %j", (response, reason) => {
    expect(judgeHealthResponse(response, "")).toBe(reason);
  });
});

describe("readableGrpcMessage", () => {
  it("keeps a badly encoded message as it came and cuts a long one", () => {
    expect(readableGrpcMessage("100%")).toBe("100%");
    expect(readableGrpcMessage("x".repeat(500))).toBe(`${"x".repeat(120)}...`);
  });
});

describe("grpcCodeName", () => {
  it("names the codes of the gRPC spec", () => {
    expect([0, 1, 8, 16, 17].map(grpcCodeName)).toEqual([
      "OK",
      "CANCELLED",
      "RESOURCE_EXHAUSTED",
      "UNAUTHENTICATED",
      "code 17",
    ]);
  });
});

describe("streamResetReason", () => {
  it("names the HTTP/2 error code of a reset stream", () => {
    expect(streamResetReason(7)).toBe("gRPC stream reset by the server: REFUSED_STREAM");
    expect(streamResetReason(99)).toBe("gRPC stream reset by the server: HTTP/2 error 99");
  });
});
