// The one part of an HTTP/1.x response a probe needs: its status code, and where its head ends.
// The HTTP prober reads raw bytes from a socket (see http-exchange.ts) and feeds them here as they
// arrive, in pieces of any size: the status line is checked (`HTTP/<d>.<d> <3 digits>`) and kept
// only until it is complete, header lines are counted but not stored (the probe reads the body to
// the end of the connection, so it needs no framing headers), and interim 1xx responses are
// skipped. Garbage, an oversized head or a head cut short become a precise failure reason instead
// of a hang or a vague error. Pure: no sockets, no timers.

/** Longest status line accepted (`HTTP/1.1 200 OK` and a reason phrase). */
export const MAX_STATUS_LINE_BYTES = 1024;

/** Largest response head accepted, like Node.js's default `--max-http-header-size`. */
export const MAX_HEAD_BYTES = 16 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const PREFIX = "HTTP/";
const STATUS_LINE = /^HTTP\/\d\.\d (\d{3})(?:[ \t][^\r\n]*)?$/;

/** Failure reasons of a response the parser cannot accept. */
export const RESPONSE_ERRORS = {
  notHttp: "HTTP malformed status line",
  statusLineTooLong: "HTTP status line too long",
  headTooLarge: "HTTP response headers too large",
  closedBeforeResponse: "HTTP connection closed without a response",
  closedInHead: "HTTP connection closed in the response headers",
} as const;

/** Where the parser stands. */
const Phase = { StatusLine: 0, Headers: 1, Done: 2, Failed: 3 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/**
 * An incremental reader of one response head. `push` returns, for each piece of bytes: the
 * offset in that piece where the body starts once the final (non-1xx) head is complete, -1 while
 * more bytes are needed, or -2 when the response is not acceptable (`failure` says why).
 */
export class ResponseHeadParser {
  #phase: Phase = Phase.StatusLine;
  /** The status line so far (latin1), only while it is incomplete. */
  #line = "";
  /** Bytes of the current header line, carriage returns not counted. */
  #lineBytes = 0;
  /** Bytes of the current head. */
  #headBytes = 0;
  #status = 0;
  #failure = "";
  #received = 0;

  /** The final status code, once `push` returned an offset. */
  get status(): number {
    return this.#status;
  }

  /** Why the response was refused, once `push` returned -2 or `end` a reason. */
  get failure(): string {
    return this.#failure;
  }

  /** Whether the final head is complete. */
  get done(): boolean {
    return this.#phase === Phase.Done;
  }

  /** Feeds `bytes[0..length)`; see the class comment for the result. */
  push(bytes: Buffer, length: number = bytes.length): number {
    if (this.#phase === Phase.Done) return 0;
    if (this.#phase === Phase.Failed) return -2;
    this.#received += length;
    let offset = 0;
    while (offset < length) {
      offset =
        this.#phase === Phase.StatusLine
          ? this.#statusLine(bytes, offset, length)
          : this.#headers(bytes, offset, length);
      // Read through a call: the steps above change the phase behind TypeScript's back.
      const phase = this.#currentPhase();
      if (phase === Phase.Failed) return -2;
      if (phase === Phase.Done) return offset;
    }
    return -1;
  }

  #currentPhase(): Phase {
    return this.#phase;
  }

  /**
   * The connection ended (the server closed it): the reason to fail with when the head is not
   * complete, undefined when it is.
   */
  end(): string | undefined {
    if (this.#phase === Phase.Done) return undefined;
    if (this.#phase !== Phase.Failed) {
      this.#fail(
        this.#received === 0 ? RESPONSE_ERRORS.closedBeforeResponse : RESPONSE_ERRORS.closedInHead,
      );
    }
    return this.#failure;
  }

  /** Consumes status line bytes from `start`; returns where it stopped. */
  #statusLine(bytes: Buffer, start: number, length: number): number {
    const newline = bytes.indexOf(LF, start);
    const stop = newline < 0 || newline >= length ? length : newline;
    if (!this.#count(stop - start + (stop < length ? 1 : 0))) return length;
    this.#line += bytes.toString("latin1", start, stop);
    if (this.#line.length > MAX_STATUS_LINE_BYTES) {
      this.#fail(RESPONSE_ERRORS.statusLineTooLong);
      return length;
    }
    const prefix = Math.min(this.#line.length, PREFIX.length);
    if (this.#line.slice(0, prefix) !== PREFIX.slice(0, prefix)) {
      this.#fail(RESPONSE_ERRORS.notHttp);
      return length;
    }
    if (stop === length) return length;
    const line = this.#line.endsWith("\r") ? this.#line.slice(0, -1) : this.#line;
    this.#line = "";
    const match = STATUS_LINE.exec(line);
    if (match === null) {
      this.#fail(RESPONSE_ERRORS.notHttp);
      return length;
    }
    this.#status = Number(match[1]);
    this.#phase = Phase.Headers;
    this.#lineBytes = 0;
    return stop + 1;
  }

  /** Consumes header bytes from `start` up to the blank line; returns where it stopped. */
  #headers(bytes: Buffer, start: number, length: number): number {
    for (let i = start; i < length; i++) {
      const byte = bytes[i];
      if (byte === CR) continue;
      if (byte !== LF) {
        this.#lineBytes += 1;
        continue;
      }
      if (this.#lineBytes > 0) {
        this.#lineBytes = 0;
        continue;
      }
      if (!this.#count(i + 1 - start)) return length;
      this.#endOfHead();
      return i + 1;
    }
    this.#count(length - start);
    return length;
  }

  /** A head ended: the final one, or an interim 1xx after which the real response follows. */
  #endOfHead(): void {
    const interim = this.#status >= 100 && this.#status < 200 && this.#status !== 101;
    this.#headBytes = 0;
    if (interim) {
      this.#phase = Phase.StatusLine;
      this.#status = 0;
    } else {
      this.#phase = Phase.Done;
    }
  }

  /** Adds `n` bytes to the head; false (and failed) when it grows past MAX_HEAD_BYTES. */
  #count(n: number): boolean {
    this.#headBytes += n;
    if (this.#headBytes <= MAX_HEAD_BYTES) return true;
    this.#fail(RESPONSE_ERRORS.headTooLarge);
    return false;
  }

  #fail(reason: string): void {
    this.#phase = Phase.Failed;
    this.#failure = reason;
    this.#line = "";
  }
}
