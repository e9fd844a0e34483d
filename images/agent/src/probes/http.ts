// HTTP/HTTPS prober. A probe sends one GET or HEAD and passes when the status code is accepted
// (default 200-399). Redirects are never followed: a 3xx is judged by its code alone. The timeout
// covers the whole exchange: connect, TLS, request and response head.
//
// Every probe is one connection of its own, like the kubelet's probes and HAProxy's `http-check`:
// nothing is kept between probes but a few hundred bytes per target, so memory does not grow with
// idle connections (a kept-alive node:http connection cost about 20 KiB of heap per target, and
// 10,000 targets took the agent past 300 MiB; see docs/PERFORMANCE.md), and every probe exercises
// the server's accept path as a new client would. The exchange itself (http-exchange.ts) is a lean
// HTTP/1.1 client over `net`/`tls` sockets that reads only the status line and the end of the
// head (http-response.ts); it sends `Connection: close` and reads the body (at most
// `maxBodyBytes`, never buffered) until the server closes, so the TIME_WAIT stays on the server.
// HTTPS resumes TLS sessions per target within a byte budget and a maximum age (http-tls.ts).
//
// Each (probe spec, address) pair gets a target, built once: the request's bytes, the status
// predicate, the TLS settings. Targets unused for a while are swept, so pods that went away
// leave nothing behind.

import { exchange, type ExchangeTarget, type TlsOptions } from "./http-exchange.js";
import {
  buildHeaders,
  hostHeader,
  normalizePath,
  serializeRequest,
  sniName,
  statusMatcher,
} from "./http-request.js";
import { secureContextFor, SessionCache } from "./http-tls.js";
import { errorReason, failed, monotonicMs } from "./outcome.js";
import type { Prober, ProbeSpec } from "./types.js";
import type { SecureContext } from "node:tls";

type HttpSpec = Extract<ProbeSpec, { mode: "HTTP" }>;

/** Tuning of the HTTP prober; every field has a sensible default. */
export interface HttpProberOptions {
  /** Body bytes read before the connection is reset (default 4 KiB). */
  maxBodyBytes?: number;
  /** How long an unused target (its request and TLS session) is kept (default 60 s). */
  targetTtlMs?: number;
  /** User-Agent header unless the probe sets one. */
  userAgent?: string;
  /** Bytes of TLS sessions kept for resumption (default 4 MiB; 0 disables resumption). */
  tlsSessionBytes?: number;
  /** How long after a full handshake its session may be resumed (default 60 s). */
  tlsSessionMaxAgeMs?: number;
}

/** An HTTP prober; `close()` forgets its targets and TLS sessions. */
export interface HttpProber {
  /** The prober itself (a plain function: safe to pass around unbound). */
  readonly probe: Prober;
  /** Number of targets currently cached (for tests and metrics). */
  targets(): number;
  /** Number of TLS sessions kept for resumption. */
  tlsSessions(): number;
  close(): void;
}

/** TLS settings shared by the targets of one probe spec. */
interface TargetTls {
  readonly secureContext: SecureContext;
  readonly servername: string | undefined;
  readonly rejectUnauthorized: boolean;
}

interface Target extends ExchangeTarget {
  readonly tlsSettings?: TargetTls;
  /** Why every probe of this target fails without a connection (e.g. an unparsable caCert). */
  readonly invalid?: string;
  lastUsed: number;
}

const DEFAULT_TLS_SESSION_BYTES = 4 * 1024 * 1024;

/** Creates an HTTP prober with its target cache and sweeping timer (unref'd). */
export function createHttpProber(options: HttpProberOptions = {}): HttpProber {
  const maxBodyBytes = options.maxBodyBytes ?? 4096;
  const ttlMs = options.targetTtlMs ?? 60_000;
  const sessions = new SessionCache<Target>({
    maxBytes: options.tlsSessionBytes ?? DEFAULT_TLS_SESSION_BYTES,
    maxAgeMs: options.tlsSessionMaxAgeMs ?? 60_000,
  });
  const targets = new TargetCache(options.userAgent ?? "swh-agent/1", target =>
    sessions.delete(target),
  );
  const sweeper = setInterval(() => targets.sweep(Date.now() - ttlMs), Math.max(1_000, ttlMs / 2));
  sweeper.unref();

  /** The exchange of one HTTPS probe: the target with its session to resume, if any. */
  const withSession = (target: Target, tls: TargetTls, now: number): ExchangeTarget => {
    const options: TlsOptions = {
      ...tls,
      session: sessions.get(target, now),
      onSession: (session, resumed) => sessions.set(target, session, resumed, Date.now()),
    };
    return { ...target, tls: options };
  };

  return {
    probe: (address, spec, timeoutMs) => {
      const startedAt = monotonicMs();
      if (spec.mode !== "HTTP") {
        return Promise.resolve(failed(startedAt, `HTTP prober given a ${spec.mode} probe`));
      }
      const target = targets.get(address, spec);
      const now = Date.now();
      target.lastUsed = now;
      if (target.invalid !== undefined) return Promise.resolve(failed(startedAt, target.invalid));
      const limits = { timeoutMs, maxBodyBytes, startedAt };
      const tls = target.tlsSettings;
      return exchange(tls === undefined ? target : withSession(target, tls, now), limits);
    },
    targets: () => targets.size,
    tlsSessions: () => sessions.size,
    close: () => {
      clearInterval(sweeper);
      targets.clear();
      sessions.clear();
    },
  };
}

/** The targets of one prober by probe spec (its JSON, computed once per spec) and address. */
class TargetCache {
  readonly #userAgent: string;
  readonly #onSwept: (target: Target) => void;
  readonly #fingerprints = new WeakMap<HttpSpec, string>();
  readonly #targets = new Map<string, Map<string, Target>>();

  constructor(userAgent: string, onSwept: (target: Target) => void) {
    this.#userAgent = userAgent;
    this.#onSwept = onSwept;
  }

  /** Number of targets. */
  get size(): number {
    let count = 0;
    for (const byAddress of this.#targets.values()) count += byAddress.size;
    return count;
  }

  /** The target of `address` under `spec`, built on first use. */
  get(address: string, spec: HttpSpec): Target {
    let fingerprint = this.#fingerprints.get(spec);
    if (fingerprint === undefined) {
      fingerprint = JSON.stringify(spec);
      this.#fingerprints.set(spec, fingerprint);
    }
    let byAddress = this.#targets.get(fingerprint);
    if (byAddress === undefined) {
      byAddress = new Map();
      this.#targets.set(fingerprint, byAddress);
    }
    let target = byAddress.get(address);
    if (target === undefined) {
      target = buildTarget(address, spec, this.#userAgent);
      byAddress.set(address, target);
    }
    return target;
  }

  /** Drops the targets last used before `olderThan` (epoch ms). */
  sweep(olderThan: number): void {
    for (const [fingerprint, byAddress] of this.#targets) {
      for (const [address, target] of byAddress) {
        if (target.lastUsed >= olderThan) continue;
        byAddress.delete(address);
        this.#onSwept(target);
      }
      if (byAddress.size === 0) this.#targets.delete(fingerprint);
    }
  }

  clear(): void {
    this.#targets.clear();
  }
}

function buildTarget(address: string, spec: HttpSpec, userAgent: string): Target {
  const https = spec.scheme === "HTTPS";
  const base = {
    address,
    port: spec.port,
    accepts: statusMatcher(spec.expectedStatusCodes),
    lastUsed: Date.now(),
  };
  let request: Buffer;
  try {
    const host = hostHeader(address, spec.port, https, spec.host);
    const headers = buildHeaders(host, spec.headers, userAgent);
    request = serializeRequest(spec.method, normalizePath(spec.path), headers);
  } catch (error) {
    return { ...base, request: Buffer.alloc(0), invalid: errorReason("HTTP request", error) };
  }
  if (!https) return { ...base, request };
  const caCert = spec.insecureSkipTLSVerify ? undefined : nonEmpty(spec.caCert);
  let secureContext: SecureContext;
  try {
    secureContext = secureContextFor(caCert);
  } catch (error) {
    return { ...base, request, invalid: errorReason("invalid caCert", error) };
  }
  const tlsSettings: TargetTls = {
    secureContext,
    servername: sniName(spec.host),
    rejectUnauthorized: !spec.insecureSkipTLSVerify,
  };
  return { ...base, request, tlsSettings };
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === "" ? undefined : text;
}
