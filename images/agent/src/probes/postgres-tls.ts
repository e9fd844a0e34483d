// Maps a PostgreSQL probe's tlsMode to node-postgres `ssl` options, following libpq's sslmode
// semantics, and remembers which servers refused TLS so "Prefer" does not pay a refused
// SSLRequest round trip on every probe.
//
//   Disabled          → no TLS                                  (libpq sslmode=disable)
//   Prefer (default)  → TLS without verification, plain text
//                       when the server refuses TLS             (sslmode=prefer)
//   SkipVerification  → TLS required, certificate not verified  (sslmode=require)
//   VerifyCA          → TLS, chain verified against caCert
//                       (system roots when absent), any name    (sslmode=verify-ca)
//   VerifyAll         → chain and server name (the pod IP)      (sslmode=verify-full)
// clientCert/clientKey are presented in every TLS mode (mutual TLS / `cert` authentication).

import type { ConnectionOptions } from "node:tls";
import { errorReason } from "./outcome.js";
import { assertPemCertificates } from "./pem.js";
import type { PostgresCredentials } from "./types.js";

/** How to connect: `ssl` for node-postgres and whether a TLS refusal falls back to plain text. */
export interface TlsPlan {
  ssl: false | ConnectionOptions;
  fallbackToPlain: boolean;
}

/** The TLS plan for `credentials`, or a reason when its PEM material is unusable. */
export function tlsPlan(credentials: PostgresCredentials): TlsPlan | string {
  const mode = credentials.tlsMode;
  if (mode === "Disabled") return { ssl: false, fallbackToPlain: false };
  const invalid = invalidPem(credentials);
  if (invalid !== undefined) return invalid;
  const ssl: ConnectionOptions = {
    rejectUnauthorized: mode === "VerifyCA" || mode === "VerifyAll",
  };
  if (credentials.clientCert !== undefined && credentials.clientKey !== undefined) {
    ssl.cert = credentials.clientCert;
    ssl.key = credentials.clientKey;
  }
  if (ssl.rejectUnauthorized && credentials.caCert !== undefined) ssl.ca = credentials.caCert;
  // verify-ca: the chain must verify, the name on the certificate does not matter.
  if (mode === "VerifyCA") ssl.checkServerIdentity = () => undefined;
  return { ssl, fallbackToPlain: mode === "Prefer" };
}

function invalidPem(credentials: PostgresCredentials): string | undefined {
  const verifying = credentials.tlsMode === "VerifyCA" || credentials.tlsMode === "VerifyAll";
  if (verifying && credentials.caCert !== undefined) {
    try {
      assertPemCertificates(credentials.caCert);
    } catch (error) {
      return errorReason("invalid caCert", error);
    }
  }
  if ((credentials.clientCert === undefined) !== (credentials.clientKey === undefined)) {
    return "clientCert and clientKey must be given together";
  }
  return undefined;
}

/**
 * Remembers, per `address:port`, that a server refused TLS, for `ttlMs`. Bounded: when it
 * grows past `maxEntries` expired entries are dropped, and if none are, everything is.
 */
export class PlainTextMemory {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** Whether `key` refused TLS less than ttlMs before `now`. */
  refusedTls(key: string, now: number): boolean {
    const expiry = this.until.get(key);
    if (expiry === undefined) return false;
    if (expiry > now) return true;
    this.until.delete(key);
    return false;
  }

  /** Records that `key` refused TLS at `now`. */
  remember(key: string, now: number): void {
    if (this.until.size >= this.maxEntries) this.prune(now);
    this.until.set(key, now + this.ttlMs);
  }

  /** Forgets `key` (the server accepted TLS again, or was reconfigured). */
  forget(key: string): void {
    this.until.delete(key);
  }

  private prune(now: number): void {
    for (const [key, expiry] of this.until) if (expiry <= now) this.until.delete(key);
    if (this.until.size >= this.maxEntries) this.until.clear();
  }
}
