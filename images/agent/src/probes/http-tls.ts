// TLS for HTTPS probes. Every HTTPS probe opens a connection of its own (see http.ts), so two
// things here keep that affordable:
// - the SecureContext (the trusted CA bundle, or the system roots) is built once per bundle and
//   shared, instead of parsing PEM for every handshake;
// - TLS sessions are resumed per target: the session a full handshake yields is offered on the
//   target's next connections, which saves the server its signature and the agent the
//   certificate checks (about 30% of the agent's CPU per HTTPS probe, measured in
//   bench/REPORT.md). A resumed handshake does not look at the certificate again, so a session
//   is used for at most `maxAgeMs` after the full handshake that verified it: a certificate that
//   expires or is replaced by an untrusted one fails the probes within that time. The sessions
//   are bounded by a byte budget; targets beyond it do full handshakes, as the kubelet does for
//   every probe.

import { createSecureContext, type SecureContext } from "node:tls";
import { assertPemCertificates } from "./pem.js";

const MAX_CACHED_CONTEXTS = 256;
const contexts = new Map<string, SecureContext>();

/**
 * A SecureContext trusting exactly `caCert` (or the system roots when undefined), shared by all
 * targets with the same bundle. Throws when the bundle holds no certificate or a broken one
 * (OpenSSL would silently ignore it and fail every handshake with a misleading error).
 */
export function secureContextFor(caCert: string | undefined): SecureContext {
  const key = caCert ?? "";
  const cached = contexts.get(key);
  if (cached !== undefined) return cached;
  if (caCert !== undefined) assertPemCertificates(caCert);
  const context = createSecureContext(caCert === undefined ? {} : { ca: caCert });
  if (contexts.size >= MAX_CACHED_CONTEXTS) contexts.clear();
  contexts.set(key, context);
  return context;
}

/** Limits of a SessionCache. */
export interface SessionLimits {
  /** Total bytes of stored sessions (serialised sessions carry the server's certificate). */
  readonly maxBytes: number;
  /** How long after its full handshake a session may be resumed. */
  readonly maxAgeMs: number;
}

interface StoredSession {
  session: Buffer;
  /** When the full handshake that verified the server happened (ms, Date.now()). */
  readonly verifiedAt: number;
}

/**
 * TLS sessions of targets, at most one each, within a byte budget. When the budget is spent, new
 * targets simply get no session (no eviction: evicting in a round-robin probing order would
 * leave every target without one); sessions of expired or forgotten targets free their bytes.
 */
export class SessionCache<K> {
  readonly #sessions = new Map<K, StoredSession>();
  #bytes = 0;

  constructor(private readonly limits: SessionLimits) {}

  /** The session to offer on `key`'s next connection, if a fresh one is stored. */
  get(key: K, now: number): Buffer | undefined {
    const stored = this.#sessions.get(key);
    if (stored === undefined) return undefined;
    if (now - stored.verifiedAt < this.limits.maxAgeMs) return stored.session;
    this.delete(key);
    return undefined;
  }

  /**
   * Stores a session the server sent on `key`'s connection. After a resumed handshake the
   * server's new ticket replaces the old one but keeps its age: resuming never extends the time
   * since the certificate was last verified.
   */
  set(key: K, session: Buffer, resumed: boolean, now: number): void {
    const stored = this.#sessions.get(key);
    if (resumed && stored === undefined) return;
    const verifiedAt = resumed && stored !== undefined ? stored.verifiedAt : now;
    const previous = stored?.session.length ?? 0;
    if (this.#bytes - previous + session.length > this.limits.maxBytes) {
      if (stored !== undefined) this.delete(key);
      return;
    }
    this.#bytes += session.length - previous;
    this.#sessions.set(key, { session, verifiedAt });
  }

  /** Forgets `key`'s session. */
  delete(key: K): void {
    const stored = this.#sessions.get(key);
    if (stored === undefined) return;
    this.#bytes -= stored.session.length;
    this.#sessions.delete(key);
  }

  /** Forgets every session. */
  clear(): void {
    this.#sessions.clear();
    this.#bytes = 0;
  }

  /** Number of stored sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Bytes of stored sessions. */
  get bytes(): number {
    return this.#bytes;
  }
}
