// Turns what node-postgres throws into the short reasons shown in status and metrics: SQLSTATEs
// that mean something to an operator get fixed words ("authentication failed", "database does
// not exist", "write refused (read-only transaction)"), network and TLS errors keep their code,
// and anything else is cut to one line. The password is scrubbed from every reason.

import { errorCode, errorReason } from "./outcome.js";

/** Fixed reasons for the SQLSTATEs a probe typically meets. */
const SQLSTATE_REASONS: Readonly<Record<string, string>> = {
  "28P01": "authentication failed",
  "28000": "authentication rejected (pg_hba.conf or certificate)",
  "3D000": "database does not exist",
  "25006": "write refused (read-only transaction)",
  "57014": "statement timeout",
  "57P01": "server is shutting down",
  "57P02": "server crashed (crash shutdown)",
  "57P03": "server is not accepting connections yet",
  "53300": "too many connections",
  "42501": "permission denied",
};

/** Messages node-postgres uses for failures that carry no code. */
const MESSAGE_REASONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/does not support SSL/i, "server does not support TLS"],
  [/error establishing an SSL connection/i, "TLS negotiation failed"],
  [/timeout expired|connection timeout/i, "connect timeout"],
  [/Connection terminated/i, "connection closed by server"],
];

const CONNECT_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);

/** A short, credential-free reason for an error thrown while probing PostgreSQL. */
export function postgresErrorReason(error: unknown, password: string): string {
  return scrub(describe(error), password);
}

function describe(error: unknown): string {
  const code = errorCode(error);
  if (isServerError(error) && code !== undefined) {
    return SQLSTATE_REASONS[code] ?? `SQLSTATE ${code}: ${firstLine(error.message)}`;
  }
  if (code !== undefined && CONNECT_CODES.has(code)) return `connect ${code}`;
  if (code !== undefined && /CERT|TLS|SSL|SIGNATURE|ISSUER|ALTNAME/.test(code)) {
    return errorReason("TLS", error);
  }
  const message = error instanceof Error ? error.message : String(error);
  for (const [pattern, reason] of MESSAGE_REASONS) if (pattern.test(message)) return reason;
  return errorReason("PostgreSQL", error);
}

/** A server-sent ErrorResponse (pg's DatabaseError) carries a severity and a SQLSTATE. */
function isServerError(error: unknown): error is Error & { severity: string } {
  return error instanceof Error && "severity" in error && typeof error.severity === "string";
}

function firstLine(text: string): string {
  const newline = text.indexOf("\n");
  return newline < 0 ? text : text.slice(0, newline);
}

/**
 * Replaces any occurrence of the password with `***`. Passwords shorter than 4 characters are
 * not searched for: they would match ordinary words, and no reason we build embeds one anyway.
 */
export function scrub(reason: string, password: string): string {
  if (password.length < 4 || !reason.includes(password)) return reason;
  return reason.split(password).join("***");
}
