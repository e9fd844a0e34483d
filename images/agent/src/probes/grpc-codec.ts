// The bytes of a gRPC health check, encoded and decoded by hand (the agent takes no gRPC or
// protobuf dependency for two one-field messages). From grpc/health/v1/health.proto:
//   message HealthCheckRequest  { string service = 1; }
//   message HealthCheckResponse { ServingStatus status = 1; }
//   enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
// A message travels in gRPC's length-prefixed framing: one byte "compressed" flag, four bytes of
// big-endian length, then the protobuf bytes. Decoding follows protobuf's rules: fields may come
// in any order, unknown fields are skipped, the last `status` wins, an absent one means 0.

/** The method a health check calls (the HTTP/2 `:path`). */
export const HEALTH_CHECK_PATH = "/grpc.health.v1.Health/Check";

/** HealthCheckResponse.ServingStatus by number. */
export const SERVING_STATUS_NAMES: readonly string[] = [
  "UNKNOWN",
  "SERVING",
  "NOT_SERVING",
  "SERVICE_UNKNOWN",
];

/** ServingStatus SERVING. */
export const SERVING = 1;

/** Byte length of a varint holding `value` (a non-negative integer below 2^32). */
function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value >>>= 7;
    length += 1;
  }
  return length;
}

/** Writes `value` as a varint at `offset`; returns the offset after it. */
function writeVarint(target: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    target[offset++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  target[offset++] = value;
  return offset;
}

/** A framed HealthCheckRequest for `service` ("" encodes as the empty message). */
export function encodeHealthRequest(service: string): Buffer {
  const text = Buffer.from(service, "utf8");
  const body = text.length === 0 ? 0 : 1 + varintLength(text.length) + text.length;
  const frame = Buffer.alloc(5 + body);
  frame.writeUInt32BE(body, 1); // byte 0: not compressed
  if (body > 0) {
    frame[5] = 0x0a; // field 1, wire type 2 (length-delimited)
    text.copy(frame, writeVarint(frame, 6, text.length));
  }
  return frame;
}

/** A varint read at `offset`: its value (exact up to 2^53) and the offset after it. */
interface Varint {
  readonly value: number;
  readonly next: number;
}

/** Reads a varint (at most 10 bytes, as protobuf allows); undefined when truncated or longer. */
function readVarint(bytes: Uint8Array, offset: number): Varint | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10 && offset + i < bytes.length; i++) {
    const byte = bytes[offset + i]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) return { value, next: offset + i + 1 };
  }
  return undefined;
}

/** Offset after a field of `wireType` whose value starts at `offset`; undefined when malformed. */
function skipField(bytes: Uint8Array, offset: number, wireType: number): number | undefined {
  switch (wireType) {
    case 0:
      return readVarint(bytes, offset)?.next;
    case 1:
      return offset + 8 <= bytes.length ? offset + 8 : undefined;
    case 2: {
      const length = readVarint(bytes, offset);
      if (length === undefined || length.next + length.value > bytes.length) return undefined;
      return length.next + length.value;
    }
    case 5:
      return offset + 4 <= bytes.length ? offset + 4 : undefined;
    default:
      return undefined; // groups (3, 4) and unassigned wire types have no place here
  }
}

/**
 * HealthCheckResponse.status from the message's protobuf bytes: the number (an unknown enum
 * value is kept as it came, negative ones as their 64-bit unsigned form) or why it is malformed.
 */
export function decodeHealthResponse(message: Uint8Array): { status: number } | { error: string } {
  let status = 0;
  let offset = 0;
  while (offset < message.length) {
    const tag = readVarint(message, offset);
    if (tag === undefined || tag.value < 8) return { error: "malformed protobuf field tag" };
    const wireType = tag.value % 8;
    if (tag.value === 8 /* field 1, varint */) {
      const value = readVarint(message, tag.next);
      if (value === undefined) return { error: "malformed status field" };
      status = value.value;
      offset = value.next;
      continue;
    }
    const next = skipField(message, tag.next, wireType);
    if (next === undefined) return { error: `malformed protobuf field (wire type ${wireType})` };
    offset = next;
  }
  return { status };
}

/**
 * The one message of a unary gRPC response body (`data`: every DATA byte received): exactly one
 * uncompressed length-prefixed message, or why not.
 */
export function unframeMessage(data: Uint8Array): { message: Uint8Array } | { error: string } {
  if (data.length === 0) return { error: "no response message" };
  if (data.length < 5) return { error: `truncated message frame (${data.length} bytes)` };
  if (data[0] !== 0) return { error: `compressed or unknown message flag ${data[0]}` };
  const length = ((data[1]! << 24) >>> 0) + (data[2]! << 16) + (data[3]! << 8) + data[4]!;
  if (data.length < 5 + length) {
    return { error: `truncated message (${data.length - 5} of ${length} bytes)` };
  }
  if (data.length > 5 + length) return { error: "more than one response message" };
  return { message: data.subarray(5, 5 + length) };
}

/** The name of ServingStatus `status`, or `status <n>` for a value health.proto lacks. */
export function servingStatusName(status: number): string {
  return SERVING_STATUS_NAMES[status] ?? `status ${status}`;
}
