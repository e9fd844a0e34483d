// What the SMTP-like server of the test backends says, by mode, enough of SMTP for a TCP probe's
// conversation (greeting, EHLO/HELO, QUIT) and a client through the Service:
//   ready     greets `220 <host> <name> ESMTP ready`; EHLO/HELO → 250, QUIT → 221 and close,
//             anything else → `250 ok`
//   wedged    accepts and never says anything (a daemon stuck after accept(): the port is open)
//   refusing  greets `554 <host> <name> no service here`; QUIT → 221 and close, else → 503
// The mode applies to connections accepted after it is set.
import type { Socket } from "node:net";

/** How the server treats a new connection. */
export type SmtpMode = "ready" | "wedged" | "refusing";

/** The modes, for checking a control API request. */
export const SMTP_MODES: readonly SmtpMode[] = ["ready", "wedged", "refusing"];

/** Who the server is, as its greeting names it. */
export interface SmtpIdentity {
  readonly host: string;
  readonly name: string;
}

/** The greeting of a new connection, or undefined when wedged. */
export function smtpGreeting(mode: SmtpMode, who: SmtpIdentity): string | undefined {
  if (mode === "wedged") return undefined;
  if (mode === "refusing") return `554 ${who.host} ${who.name} no service here\r\n`;
  return `220 ${who.host} ${who.name} ESMTP ready\r\n`;
}

/** The answer to one command line (without its line end) and whether to close after it. */
export function smtpReply(
  mode: SmtpMode,
  who: SmtpIdentity,
  line: string,
): { readonly reply: string; readonly close: boolean } | undefined {
  if (mode === "wedged") return undefined;
  const verb = line.trim().split(/\s+/)[0]?.toUpperCase() ?? "";
  if (verb === "QUIT") return { reply: "221 bye\r\n", close: true };
  if (mode === "refusing") return { reply: "503 bad sequence of commands\r\n", close: false };
  if (verb === "EHLO" || verb === "HELO") {
    return { reply: `250 ${who.host} ${who.name} greets you\r\n`, close: false };
  }
  return { reply: "250 ok\r\n", close: false };
}

/** Serves one accepted connection in `mode`: greets, then answers each line as it completes. */
export function serveSmtp(socket: Socket, mode: SmtpMode, who: SmtpIdentity): void {
  const greeting = smtpGreeting(mode, who);
  if (greeting !== undefined) socket.write(greeting);
  let pending = "";
  socket.on("data", (chunk: Buffer) => {
    pending += chunk.toString("latin1");
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline).replace(/\r$/, "");
      pending = pending.slice(newline + 1);
      const answer = smtpReply(mode, who, line);
      if (answer?.close) return void socket.end(answer.reply);
      if (answer) socket.write(answer.reply);
    }
    if (pending.length > 4096) pending = ""; // a client that never ends its line
  });
}
