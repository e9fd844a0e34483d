// How a gRPC health check's response is judged, apart from the HTTP/2 code so every rule is unit
// tested: SERVING passes; any other serving status fails with its name (`gRPC health
// NOT_SERVING`); a non-OK grpc-status fails with the code's name, and two codes get the meaning
// the health protocol gives them: UNIMPLEMENTED (the server has no health service) and NOT_FOUND
// (the health service does not know the service asked for: SERVICE_UNKNOWN). Anything that is
// not a well-formed gRPC answer fails too, saying what was wrong. Reasons never carry more than
// a short, sanitised piece of what the server sent.

import { decodeHealthResponse, servingStatusName, SERVING, unframeMessage } from "./grpc-codec.js";

/** gRPC status code names by number (grpc/grpc doc/statuscodes.md). */
const GRPC_CODES: readonly string[] = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];

/** HTTP/2 error codes by number (RFC 9113 section 7), for streams the server resets. */
const HTTP2_ERRORS: readonly string[] = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
];

/** The reason of a stream the server reset with HTTP/2 error `code` before any grpc-status. */
export function streamResetReason(code: number): string {
  return `gRPC stream reset by the server: ${HTTP2_ERRORS[code] ?? `HTTP/2 error ${code}`}`;
}

const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

/** Longest piece of grpc-message quoted in a reason. */
const MAX_MESSAGE_CHARS = 120;

/** What the probe received on its one stream. */
export interface GrpcResponse {
  /** `:status` of the response headers; undefined when none arrived. */
  readonly httpStatus: number | undefined;
  readonly contentType: string | undefined;
  /** grpc-status from the trailers, or from the headers of a trailers-only response. */
  readonly grpcStatus: string | undefined;
  readonly grpcMessage: string | undefined;
  /** Every DATA byte received. */
  readonly data: Uint8Array;
}

/** The name of gRPC status `code`, e.g. `UNAVAILABLE`, or `code <n>` for an unknown one. */
export function grpcCodeName(code: number): string {
  return GRPC_CODES[code] ?? `code ${code}`;
}

/** grpc-message as text: percent-decoded (as the spec encodes it), controls dropped, cut short. */
export function readableGrpcMessage(raw: string): string {
  let text = raw;
  try {
    text = decodeURIComponent(raw);
  } catch {
    // not valid percent-encoding: keep it as it came
  }
  text = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}...` : text;
}

/** The reason a non-OK grpc-status fails the probe. */
function statusReason(code: number, message: string | undefined, service: string): string {
  if (code === UNIMPLEMENTED) {
    return "gRPC UNIMPLEMENTED: the server has no grpc.health.v1.Health service";
  }
  if (code === NOT_FOUND) {
    return `gRPC health SERVICE_UNKNOWN: the health service does not know service ${JSON.stringify(service)}`;
  }
  const text = message === undefined ? "" : readableGrpcMessage(message);
  return text === "" ? `gRPC ${grpcCodeName(code)}` : `gRPC ${grpcCodeName(code)}: ${text}`;
}

/** The reason of an OK call: "" for SERVING, else the serving status or the malformed body. */
function bodyReason(data: Uint8Array): string {
  const framed = unframeMessage(data);
  if ("error" in framed) return `gRPC malformed response: ${framed.error}`;
  const decoded = decodeHealthResponse(framed.message);
  if ("error" in decoded) return `gRPC malformed response: ${decoded.error}`;
  return decoded.status === SERVING ? "" : `gRPC health ${servingStatusName(decoded.status)}`;
}

/** "" when the check passed, else why it failed. `service` is the name the probe asked about. */
export function judgeHealthResponse(response: GrpcResponse, service: string): string {
  const { httpStatus, contentType, grpcStatus } = response;
  if (httpStatus === undefined) return "gRPC stream closed before the response headers";
  if (httpStatus !== 200) return `gRPC: HTTP status ${httpStatus}`;
  if (contentType === undefined || !contentType.startsWith("application/grpc")) {
    const shown = contentType === undefined ? "none" : JSON.stringify(contentType.slice(0, 64));
    return `gRPC: response content-type ${shown}, not application/grpc`;
  }
  if (grpcStatus === undefined) return "gRPC: response without grpc-status";
  const code = /^\d{1,3}$/.test(grpcStatus) ? Number(grpcStatus) : NaN;
  if (Number.isNaN(code))
    return `gRPC: invalid grpc-status ${JSON.stringify(grpcStatus.slice(0, 16))}`;
  if (code !== 0) return statusReason(code, response.grpcMessage, service);
  return bodyReason(response.data);
}
