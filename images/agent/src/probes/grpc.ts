// gRPC health prober: one `grpc.health.v1.Health/Check` call per probe, like the kubelet's gRPC
// probe, over Node's own node:http2 (no gRPC library: the two messages are encoded by hand in
// grpc-codec.ts and the response judged in grpc-verdict.ts).
//
// Every probe is a connection of its own (as the HTTP prober's, and for the same reason: nothing
// grows with the number of targets between probes, and each probe goes through the server's
// accept path as a new client would). The TCP connection is made here and handed to http2 (with
// TLS over it for HTTPS: ALPN h2, the server verified against `caCert` or the system roots
// unless insecureSkipTLSVerify), so a failure names its step: `connect ECONNREFUSED`, `TLS
// <code>`, then `gRPC ...`. The request carries `grpc-timeout` (the probe's timeout), so the
// server gives up when the agent does. Once the outcome is known, or at the timeout, the session
// is dropped and the connection reset (RST, as the TCP prober does): neither side keeps a
// TIME_WAIT, which at thousands of probes a second would fill the agent's port range.
//
// Per probe spec, a WeakMap keeps what its probes reuse (so it goes with the spec): the
// authority, and references to the framed request and headers (shared by every spec with the
// same service name and timeout) and to the TLS context (shared per CA bundle, http-tls.ts).

import {
  connect as http2Connect,
  type ClientHttp2Session,
  type ClientHttp2Stream,
} from "node:http2";
import type { IncomingHttpHeaders, IncomingHttpStatusHeader } from "node:http2";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect, type SecureContext, type TLSSocket } from "node:tls";
import { encodeHealthRequest, HEALTH_CHECK_PATH } from "./grpc-codec.js";
import { judgeHealthResponse, streamResetReason } from "./grpc-verdict.js";
import { secureContextFor } from "./http-tls.js";
import { errorCode, errorReason, failed, monotonicMs, passed, timeoutReason } from "./outcome.js";
import type { ProbeOutcome, ProbeSpec } from "./types.js";

type GrpcSpec = Extract<ProbeSpec, { mode: "GRPC" }>;

/** Response bytes read at most; a health response is 7 bytes. */
const MAX_RESPONSE_BYTES = 4096;

/** What a spec's probes share: the request's bytes and headers, TLS settings, or why none run. */
interface Prepared {
  readonly address: string;
  readonly timeoutMs: number;
  readonly frame: Buffer;
  readonly authority: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly tls?: { readonly secureContext: SecureContext; readonly rejectUnauthorized: boolean };
  readonly invalid?: string;
}

const prepared = new WeakMap<GrpcSpec, Prepared>();

/**
 * Request frames by service name and headers by timeout, shared by every target that has the
 * same (at 10,000 targets, a handful of each instead of one per target); bounded, since names
 * come from manifests.
 */
const frames = new Map<string, Buffer>();
const headerSets = new Map<number, Readonly<Record<string, string>>>();
const MAX_SHARED = 256;

function shared<K, V>(cache: Map<K, V>, key: K, make: (key: K) => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= MAX_SHARED) cache.clear();
    value = make(key);
    cache.set(key, value);
  }
  return value;
}

function requestHeaders(timeoutMs: number): Readonly<Record<string, string>> {
  return {
    ":method": "POST",
    ":path": HEALTH_CHECK_PATH,
    "content-type": "application/grpc",
    te: "trailers",
    "grpc-timeout": `${Math.min(Math.max(1, Math.ceil(timeoutMs)), 99_999_999)}m`,
    "user-agent": "swh-agent/1",
  };
}

function prepare(address: string, spec: GrpcSpec, timeoutMs: number): Prepared {
  const cached = prepared.get(spec);
  if (cached?.address === address && cached.timeoutMs === timeoutMs) return cached;
  const https = spec.scheme === "HTTPS";
  const host = address.includes(":") ? `[${address}]` : address;
  const base = {
    address,
    timeoutMs,
    frame: shared(frames, spec.service, encodeHealthRequest),
    authority: `${https ? "https" : "http"}://${host}:${spec.port}`,
    headers: shared(headerSets, timeoutMs, requestHeaders),
  };
  let result: Prepared = base;
  if (https) {
    const caCert = spec.insecureSkipTLSVerify ? undefined : nonEmpty(spec.caCert);
    try {
      const tls = {
        secureContext: secureContextFor(caCert),
        rejectUnauthorized: !spec.insecureSkipTLSVerify,
      };
      result = { ...base, tls };
    } catch (error) {
      result = { ...base, invalid: errorReason("invalid caCert", error) };
    }
  }
  prepared.set(spec, result);
  return result;
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === "" ? undefined : text;
}

/** Probes `address:spec.port` with one health check call; never throws. */
export function probeGrpc(
  address: string,
  spec: ProbeSpec,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const startedAt = monotonicMs();
  if (spec.mode !== "GRPC") {
    return Promise.resolve(failed(startedAt, `gRPC prober given a ${spec.mode} probe`));
  }
  const target = prepare(address, spec, timeoutMs);
  if (target.invalid !== undefined) return Promise.resolve(failed(startedAt, target.invalid));
  return new Promise(resolve => {
    new HealthCheck(spec, target, { timeoutMs, startedAt }, resolve).start();
  });
}

/** Where the check stands, for failure reasons. */
const Step = { Connecting: "connect", Handshake: "TLS", Call: "gRPC" } as const;
type Step = (typeof Step)[keyof typeof Step];

/** One health check call on a connection of its own. */
class HealthCheck {
  #step: Step = Step.Connecting;
  #settled = false;
  #timer: NodeJS.Timeout | undefined;
  #socket: Socket | undefined;
  #tls: TLSSocket | undefined;
  #session: ClientHttp2Session | undefined;
  #headers: (IncomingHttpHeaders & IncomingHttpStatusHeader) | undefined;
  #trailers: IncomingHttpHeaders | undefined;
  #data: Buffer | undefined;

  constructor(
    private readonly spec: GrpcSpec,
    private readonly target: Prepared,
    private readonly limits: { readonly timeoutMs: number; readonly startedAt: number },
    private readonly resolve: (outcome: ProbeOutcome) => void,
  ) {}

  start(): void {
    let socket: Socket;
    try {
      socket = connect({ host: this.target.address, port: this.spec.port });
    } catch (error) {
      this.#settle(errorReason("connect", error));
      return;
    }
    this.#socket = socket;
    this.#timer = setTimeout(
      () => this.#settle(timeoutReason(this.limits.timeoutMs)),
      this.limits.timeoutMs,
    );
    // Error listeners stay attached after settling: a late error must not go unhandled.
    socket.on("error", error => this.#fail(error));
    const tls = this.target.tls;
    socket.once("connect", () => {
      this.#step = tls === undefined ? Step.Call : Step.Handshake;
    });
    let transport: Socket = socket;
    if (tls !== undefined) transport = this.#startTls(socket, tls);
    this.#call(transport);
  }

  #startTls(socket: Socket, tls: NonNullable<Prepared["tls"]>): TLSSocket {
    const secure = tlsConnect({
      socket,
      host: this.target.address, // no SNI for an IP; the certificate is checked against the address
      secureContext: tls.secureContext,
      rejectUnauthorized: tls.rejectUnauthorized,
      ALPNProtocols: ["h2"],
    });
    this.#tls = secure;
    secure.on("error", error => this.#fail(error));
    secure.once("secureConnect", () => {
      this.#step = Step.Call;
      if (secure.alpnProtocol !== "h2")
        this.#settle("TLS: the server did not agree to HTTP/2 (ALPN h2)");
    });
    return secure;
  }

  /** Opens the HTTP/2 session over `transport` and sends the request (queued until connected). */
  #call(transport: Socket): void {
    let session: ClientHttp2Session;
    let stream: ClientHttp2Stream;
    try {
      session = http2Connect(this.target.authority, {
        createConnection: () => transport,
        settings: { enablePush: false },
      });
      this.#session = session;
      session.on("error", error => this.#fail(error));
      stream = session.request(this.target.headers, { endStream: false });
    } catch (error) {
      this.#fail(error);
      return;
    }
    stream.on("error", error => this.#streamError(stream, error));
    stream.once("response", headers => {
      this.#headers = headers;
    });
    stream.once("trailers", (trailers: IncomingHttpHeaders) => {
      this.#trailers = trailers;
    });
    stream.on("data", (chunk: Buffer) => this.#read(chunk));
    stream.once("close", () => this.#closed(stream.rstCode));
    stream.end(this.target.frame);
  }

  /**
   * A stream the server resets errors with ERR_HTTP2_STREAM_ERROR (or just closes, with its
   * rstCode): named by its HTTP/2 error. Other errors (a broken session) keep their own code.
   */
  #streamError(stream: ClientHttp2Stream, error: unknown): void {
    if (errorCode(error) !== "ERR_HTTP2_STREAM_ERROR" || !stream.rstCode) this.#fail(error);
    else this.#settle(this.#resetReason(stream.rstCode));
  }

  /**
   * Why a stream ended with `rstCode` before a status. A connection the server closes destroys
   * the session first, which cancels the stream locally: that is said as such.
   */
  #resetReason(rstCode: number): string {
    return this.#session?.destroyed === true
      ? "gRPC: the server closed the connection before answering"
      : streamResetReason(rstCode);
  }

  #read(chunk: Buffer): void {
    const data = this.#data === undefined ? chunk : Buffer.concat([this.#data, chunk]);
    if (data.length > MAX_RESPONSE_BYTES) {
      this.#settle(`gRPC response over ${MAX_RESPONSE_BYTES} bytes`);
      return;
    }
    this.#data = data;
  }

  /** The stream ended: judge what arrived (a reset stream without a status is a failure). */
  #closed(rstCode: number | undefined): void {
    const headers = this.#headers;
    const trailers = this.#trailers;
    const grpcStatus = header(trailers, "grpc-status") ?? header(headers, "grpc-status");
    if (grpcStatus === undefined && rstCode !== undefined && rstCode !== 0) {
      this.#settle(this.#resetReason(rstCode));
      return;
    }
    const response = {
      httpStatus: headers?.[":status"],
      contentType: header(headers, "content-type"),
      grpcStatus,
      grpcMessage: header(trailers, "grpc-message") ?? header(headers, "grpc-message"),
      data: this.#data ?? EMPTY,
    };
    this.#settle(judgeHealthResponse(response, this.spec.service));
  }

  #fail(error: unknown): void {
    this.#settle(errorReason(this.#step, error));
  }

  /** Resolves with `reason` ("" = passed), then drops the session and resets the connection. */
  #settle(reason: string): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const { startedAt } = this.limits;
    this.resolve(reason === "" ? passed(startedAt) : failed(startedAt, reason));
    const socket = this.#socket;
    if (socket !== undefined && !socket.destroyed && !socket.connecting) socket.resetAndDestroy();
    else socket?.destroy();
    this.#tls?.destroy();
    this.#session?.destroy();
  }
}

const EMPTY = Buffer.alloc(0);

/** A header's value as one string (the first of a repeated one). */
function header(headers: IncomingHttpHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}
