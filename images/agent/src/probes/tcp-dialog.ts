// The socket half of a TCP conversation: runs the steps of `tcp.conversation` in order on a
// connected socket. A send step discards what was received and not matched, then writes its line
// with CRLF; an expect step judges the bytes received since (tcp-conversation.ts) each time more
// arrive, and when another expect follows, waits for the end of the matched line and consumes
// it. At most CONVERSATION_READ_LIMIT bytes are read in all. The dialog never owns a timer: the
// prober's timeout bounds it and asks `timeoutReason` what the dialog was waiting for.

import type { Socket } from "node:net";
import { errorReason } from "./outcome.js";
import {
  CONVERSATION_READ_LIMIT,
  expectFailureReason,
  expectFollows,
  judgeExpect,
  lineEndAfter,
  type ConversationStep,
  type ExpectStop,
} from "./tcp-conversation.js";

/** How a conversation ended: passed (and whether to await the server's close), or failed. */
export type DialogEnd = { ok: true; awaitClose: boolean } | { ok: false; reason: string };

const CRLF = "\r\n";

/** One run of a conversation on one connected socket; reports its end once. */
export class Dialog {
  private index = 0;
  private window: Buffer = Buffer.alloc(0);
  private total = 0;
  private ended = false;
  /** Each expect step's text as bytes, by step index. */
  private readonly wanted: ReadonlyArray<Buffer | undefined>;

  constructor(
    private readonly steps: readonly ConversationStep[],
    private readonly socket: Socket,
    private readonly onEnd: (end: DialogEnd) => void,
  ) {
    this.wanted = steps.map(s => (s.kind === "expect" ? Buffer.from(s.text, "utf8") : undefined));
  }

  /** Starts reading and runs the steps until one has to wait for the server. */
  start(): void {
    this.socket.on("data", (chunk: Buffer) => this.receive(chunk));
    this.socket.on("end", () => this.serverClosed());
    this.advance();
  }

  /** Whether every step has passed (the prober then only awaits the close). */
  get passed(): boolean {
    return this.ended && this.index >= this.steps.length;
  }

  /** The reason to report when the probe's timeout ends the dialog before it ended. */
  timeoutReason(timeoutMs: number): string {
    return this.stopReason({ kind: "timeout", timeoutMs });
  }

  /** A socket error (reset by the peer, write after close...) ends the dialog. */
  fail(error: unknown): void {
    const stop: ExpectStop = { kind: "error", error: errorReason("connection", error) };
    this.finish({ ok: false, reason: this.stopReason(stop) });
  }

  private receive(chunk: Buffer): void {
    if (this.ended) return;
    const room = CONVERSATION_READ_LIMIT - this.total;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.total += kept.length;
    this.window = this.window.length === 0 ? kept : Buffer.concat([this.window, kept]);
    if (this.total >= CONVERSATION_READ_LIMIT) this.socket.pause();
    this.advance();
  }

  private serverClosed(): void {
    if (this.ended) return;
    this.advance();
    if (!this.ended) this.finish({ ok: false, reason: this.stopReason({ kind: "closed" }) });
  }

  /** Runs steps until one must wait for data, fails, or all have passed. */
  private advance(): void {
    while (!this.ended && this.index < this.steps.length) {
      const step = this.steps[this.index]!;
      if (step.kind === "send") this.send(step.line);
      else if (!this.expect(step)) return;
      this.index++;
    }
    if (!this.ended) {
      const last = this.steps[this.steps.length - 1];
      this.finish({ ok: true, awaitClose: last?.kind === "send" });
    }
  }

  private send(line: string): void {
    this.window = Buffer.alloc(0);
    this.socket.write(line + CRLF);
  }

  /** Judges the current expect step: true when it passed, false while it waits or once it failed. */
  private expect(step: Extract<ConversationStep, { kind: "expect" }>): boolean {
    const verdict = judgeExpect(step, this.wanted[this.index]!, this.window);
    if (verdict === "mismatch") return this.stop({ kind: "mismatch" });
    const limitReached = this.total >= CONVERSATION_READ_LIMIT;
    if (verdict === "wait") return limitReached ? this.stop({ kind: "limit" }) : false;
    let consumed = this.window.length;
    if (expectFollows(this.steps, this.index)) {
      consumed = lineEndAfter(this.window, verdict.end);
      if (consumed < 0) return limitReached ? this.stop({ kind: "limit" }) : false;
    }
    this.window = this.window.subarray(consumed);
    return true;
  }

  private stop(stop: ExpectStop): false {
    this.finish({ ok: false, reason: this.stopReason(stop) });
    return false;
  }

  private stopReason(stop: ExpectStop): string {
    const step = this.steps[Math.min(this.index, this.steps.length - 1)]!;
    return expectFailureReason(this.index, step, stop, this.window);
  }

  private finish(end: DialogEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(end);
  }
}
