// The hand-written protobuf and gRPC framing of the health check: byte-exact requests, responses
// decoded by protobuf's rules (any field order, unknown fields skipped, last value wins, absent =
// 0), and every malformed shape refused with a reason instead of a guess.
import {
  decodeHealthResponse,
  encodeHealthRequest,
  servingStatusName,
  unframeMessage,
} from "./grpc-codec.js";

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe("encodeHealthRequest", () => {
  it("frames the empty request (the server's overall health) as five bytes", () => {
    expect([...encodeHealthRequest("")]).toEqual([0, 0, 0, 0, 0]);
  });

  it("encodes the service name as field 1, length-delimited, in UTF-8", () => {
    expect([...encodeHealthRequest("ab")]).toEqual([0, 0, 0, 0, 4, 0x0a, 2, 0x61, 0x62]);
    const name = "grpc.health.v1.Health/é";
    const frame = encodeHealthRequest(name);
    expect(frame.readUInt32BE(1)).toBe(frame.length - 5);
    expect(frame.subarray(7).toString("utf8")).toBe(name);
  });

  it("writes a multi-byte varint length for a long name", () => {
    const frame = encodeHealthRequest("s".repeat(200));
    expect([...frame.subarray(0, 8)]).toEqual([0, 0, 0, 0, 203, 0x0a, 0xc8, 0x01]);
    expect(frame.length).toBe(5 + 203);
  });
});

describe("decodeHealthResponse", () => {
  it.each([
    ["SERVING", bytes(0x08, 1), 1],
    ["NOT_SERVING", bytes(0x08, 2), 2],
    ["SERVICE_UNKNOWN", bytes(0x08, 3), 3],
    ["the empty message (proto3 default UNKNOWN)", bytes(), 0],
    ["an unknown varint field before it", bytes(0x10, 0x96, 0x01, 0x08, 1), 1],
    [
      "unknown fixed64, fixed32 and bytes fields",
      bytes(0x11, ...Array(8).fill(7), 0x1d, 1, 2, 3, 4, 0x22, 2, 9, 9, 0x08, 2),
      2,
    ],
    ["the last of two status fields", bytes(0x08, 2, 0x08, 1), 1],
    ["an enum value health.proto lacks", bytes(0x08, 0x7f), 127],
  ])("reads %s", (_what, message, status) => {
    expect(decodeHealthResponse(message)).toEqual({ status });
  });

  it.each([
    ["a truncated varint", bytes(0x08, 0x80)],
    ["a field number 0", bytes(0x00, 1)],
    ["a truncated length-delimited field", bytes(0x22, 5, 1)],
    ["a group wire type", bytes(0x0b)],
    ["a truncated fixed64", bytes(0x11, 1, 2)],
    ["a varint over 10 bytes", bytes(0x08, ...Array(10).fill(0xff), 1)],
  ])("refuses %s", (_what, message) => {
    expect(decodeHealthResponse(message)).toHaveProperty("error");
  });
});

describe("unframeMessage", () => {
  it("returns the one message of a unary response", () => {
    expect(unframeMessage(bytes(0, 0, 0, 0, 2, 0x08, 1))).toEqual({ message: bytes(0x08, 1) });
    expect(unframeMessage(bytes(0, 0, 0, 0, 0))).toEqual({ message: bytes() });
  });

  it.each([
    [bytes(), "no response message"],
    [bytes(0, 0, 0), "truncated message frame (3 bytes)"],
    [bytes(1, 0, 0, 0, 2, 0x08, 1), "compressed or unknown message flag 1"],
    [bytes(0, 0, 0, 0, 3, 0x08, 1), "truncated message (2 of 3 bytes)"],
    [bytes(0, 0, 0, 0, 2, 0x08, 1, 0, 0, 0, 0, 0), "more than one response message"],
    [bytes(0, 0xff, 0xff, 0xff, 0xff), "truncated message (0 of 4294967295 bytes)"],
  ])("refuses %j: %s", (data, error) => {
    expect(unframeMessage(data)).toEqual({ error });
  });
});

describe("servingStatusName", () => {
  it("names the four statuses and numbers any other", () => {
    expect([0, 1, 2, 3, 9].map(servingStatusName)).toEqual([
      "UNKNOWN",
      "SERVING",
      "NOT_SERVING",
      "SERVICE_UNKNOWN",
      "status 9",
    ]);
  });
});
