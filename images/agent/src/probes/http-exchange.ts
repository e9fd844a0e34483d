// One HTTP probe on the wire: a connection of its own, one request, the response's status, and
// a close that leaves no TIME_WAIT on the agent's side. Deliberately not node:http: a probe needs
// the status line and the end of the head, nothing else, and node:http's sockets, parsers and
// agents cost tens of kilobytes per kept connection and several callbacks per request.
//
// - Plain HTTP reads with `onread` into one buffer shared by every probe (JavaScript runs one
//   callback at a time and the parser copies only the status line), so reading allocates nothing.
//   HTTPS reads the TLS socket's decrypted chunks.
// - The request says `Connection: close`. The outcome is settled when the head is complete; the
//   body is then read to the end of the connection and discarded, so the server closes first and
//   the TIME_WAIT stays on its side; closing our side after its FIN leaves no TIME_WAIT here.
// - The connection is reset instead (RST, no TIME_WAIT on either side) when the body exceeds
//   `maxBodyBytes`, when the response is not HTTP, and when the timeout fires. The timeout covers
//   the whole exchange: connect, TLS, request, head; a body still trickling when it fires is cut
//   off (the outcome was settled by the head).
// - Failure reasons name the step that failed: `connect ECONNREFUSED` before the TCP connection,
//   `TLS <code>` during the handshake, `HTTP <code>` or a parser reason (http-response.ts) after.

import { connect, type Socket } from "node:net";
import { connect as tlsConnect, type SecureContext, type TLSSocket } from "node:tls";
import { ResponseHeadParser } from "./http-response.js";
import { errorReason, failed, passed, timeoutReason } from "./outcome.js";
import type { ProbeOutcome } from "./types.js";

/** TLS side of an HTTPS exchange. */
export interface TlsOptions {
  readonly secureContext: SecureContext;
  /** SNI and the name checked against the certificate; undefined: no SNI, the IP is checked. */
  readonly servername: string | undefined;
  readonly rejectUnauthorized: boolean;
  /** A session to resume, if any. */
  readonly session: Buffer | undefined;
  /** Called with every session the server sends, and whether this handshake resumed one. */
  readonly onSession: (session: Buffer, resumed: boolean) => void;
}

/** What to exchange with whom. */
export interface ExchangeTarget {
  readonly address: string;
  readonly port: number;
  /** The request's bytes (http-request.ts serializeRequest). */
  readonly request: Buffer;
  readonly accepts: (status: number) => boolean;
  /** Present for HTTPS. */
  readonly tls?: TlsOptions;
}

/** Per-probe limits. */
export interface ExchangeLimits {
  readonly timeoutMs: number;
  /** Body bytes read before the connection is reset. */
  readonly maxBodyBytes: number;
  /** monotonicMs() when the probe started. */
  readonly startedAt: number;
}

/** Read buffer of every plain-HTTP probe (see the file header). */
const READ_BUFFER = Buffer.allocUnsafe(16 * 1024);

/** Where the exchange stands, for failure reasons and for how to close. */
const Step = { Connecting: 0, Handshake: 1, Exchange: 2 } as const;
type Step = (typeof Step)[keyof typeof Step];

/** Runs one exchange; never rejects. */
export function exchange(target: ExchangeTarget, limits: ExchangeLimits): Promise<ProbeOutcome> {
  return new Promise(resolve => {
    new Exchange(target, limits, resolve).start();
  });
}

class Exchange {
  readonly #parser = new ResponseHeadParser();
  #step: Step = Step.Connecting;
  #settled = false;
  #closed = false;
  #bodyBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The TCP connection (reset and destroyed through it). */
  #socket: Socket | undefined;
  /** The TLS connection over it (HTTPS). */
  #tls: TLSSocket | undefined;

  constructor(
    private readonly target: ExchangeTarget,
    private readonly limits: ExchangeLimits,
    private readonly resolve: (outcome: ProbeOutcome) => void,
  ) {}

  start(): void {
    const { address, port, tls } = this.target;
    try {
      this.#socket =
        tls === undefined
          ? connect({
              host: address,
              port,
              onread: { buffer: READ_BUFFER, callback: n => this.#read(READ_BUFFER, n) },
            })
          : connect({ host: address, port });
    } catch (error) {
      this.#settle(failed(this.limits.startedAt, errorReason("connect", error)));
      return;
    }
    this.#timer = setTimeout(() => this.#timeout(), this.limits.timeoutMs);
    const socket = this.#socket;
    // Stays attached after settling: a late error on a closed socket must not go unhandled.
    socket.on("error", error => this.#error(error));
    if (tls === undefined) {
      socket.on("connect", () => {
        this.#step = Step.Exchange;
        socket.write(this.target.request);
      });
      socket.on("end", () => this.#end());
      return;
    }
    socket.on("connect", () => {
      this.#step = Step.Handshake;
    });
    this.#startTls(socket, tls);
  }

  #startTls(socket: Socket, tls: TlsOptions): void {
    const secure = tlsConnect({
      socket,
      host: this.target.address,
      ...(tls.servername === undefined ? {} : { servername: tls.servername }),
      secureContext: tls.secureContext,
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(tls.session === undefined ? {} : { session: tls.session }),
    });
    this.#tls = secure;
    secure.on("error", (error: Error) => this.#error(error));
    secure.on("session", (session: Buffer) => tls.onSession(session, secure.isSessionReused()));
    secure.on("secureConnect", () => {
      this.#step = Step.Exchange;
      secure.write(this.target.request);
    });
    secure.on("data", (chunk: Buffer) => this.#read(chunk, chunk.length));
    secure.on("end", () => this.#end());
  }

  /** Bytes of the response: the head first, then the body, counted and dropped. */
  #read(bytes: Buffer, length: number): boolean {
    if (this.#closed) return false;
    if (this.#parser.done) return this.#body(length);
    const bodyStart = this.#parser.push(bytes, length);
    if (bodyStart === -1) return true;
    if (bodyStart === -2) {
      this.#settle(failed(this.limits.startedAt, this.#parser.failure));
      this.#close(true);
      return false;
    }
    const status = this.#parser.status;
    this.#settle(
      this.target.accepts(status)
        ? passed(this.limits.startedAt)
        : failed(this.limits.startedAt, `HTTP ${status}`),
    );
    return this.#body(length - bodyStart);
  }

  /** Counts body bytes; resets the connection once they exceed the cap. */
  #body(length: number): boolean {
    this.#bodyBytes += length;
    if (this.#bodyBytes <= this.limits.maxBodyBytes) return true;
    this.#close(true);
    return false;
  }

  /** The server closed its side: the orderly end (our close follows its FIN). */
  #end(): void {
    const failure = this.#parser.end();
    if (failure !== undefined) this.#settle(failed(this.limits.startedAt, failure));
    this.#close(false);
  }

  #error(error: Error): void {
    const step =
      this.#step === Step.Connecting ? "connect" : this.#step === Step.Handshake ? "TLS" : "HTTP";
    this.#settle(failed(this.limits.startedAt, errorReason(step, error)));
    this.#close(false);
  }

  #timeout(): void {
    this.#timer = undefined;
    this.#settle(failed(this.limits.startedAt, timeoutReason(this.limits.timeoutMs)));
    this.#close(this.#step !== Step.Connecting);
  }

  #settle(outcome: ProbeOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    this.resolve(outcome);
  }

  /** Ends the connection: with an RST when `reset` (and connected), else plainly. */
  #close(reset: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const socket = this.#socket;
    if (socket === undefined) return;
    if (reset && !socket.destroyed && !socket.connecting) socket.resetAndDestroy();
    else socket.destroy();
    this.#tls?.destroy();
  }
}
