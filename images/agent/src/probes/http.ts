// HTTP/HTTPS prober. A probe sends one GET or HEAD and passes when the status code is accepted
// (default 200-399). Redirects are never followed: a 3xx is judged by its code alone. The body
// is read only up to a small cap (so the connection can be reused) and never buffered; a larger
// or slower body just drops the connection. The timeout covers the whole exchange: connect,
// TLS, request and response headers.
//
// Each (probe spec, address) pair gets a target, built once: its request options (with the
// agent shared by targets of the same TLS settings, see http-agent.ts) and its status predicate.
// Connections are reused only when they can be: when a target's probes come further apart than
// the idle timeout, its requests say `Connection: close`, so no idle socket waits in vain and the
// server, closing first, keeps the TIME_WAIT instead of the agent. Targets unused for a while
// are swept, so pods that went away leave nothing behind.

import { request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { AgentPool, type PoolOptions } from "./http-agent.js";
import { buildHeaders, hostHeader, normalizePath, sniName, statusMatcher } from "./http-request.js";
import { errorCode, errorReason, failed, monotonicMs, passed, timeoutReason } from "./outcome.js";
import type { Prober, ProbeOutcome, ProbeSpec } from "./types.js";

type HttpSpec = Extract<ProbeSpec, { mode: "HTTP" }>;

/** Tuning of the HTTP prober; every field has a sensible default. */
export interface HttpProberOptions extends Partial<PoolOptions> {
  /** Body bytes read before the connection is dropped instead of drained (default 4 KiB). */
  maxBodyBytes?: number;
  /** How long an unused target (its request options) is kept (default 60 s). */
  targetTtlMs?: number;
  /** User-Agent header unless the probe sets one. */
  userAgent?: string;
}

/** An HTTP prober with its connection pools; `close()` drops every pooled connection. */
export interface HttpProber {
  /** The prober itself (a plain function: safe to pass around unbound). */
  readonly probe: Prober;
  /** Number of targets currently cached (for tests and metrics). */
  targets(): number;
  close(): void;
}

interface Target {
  readonly send: typeof httpRequest;
  /** Request options that keep the connection for the next probe. */
  readonly keepOptions: RequestOptions;
  /** The same request with `Connection: close`. */
  readonly closeOptions: RequestOptions;
  readonly accepts: (status: number) => boolean;
  /** Why every probe of this target fails without a request (e.g. an unparsable caCert). */
  readonly invalid?: string;
  lastUsed: number;
}

const CONNECT_ERRORS = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);
const STALE_CONNECTION_ERRORS = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

/** Creates an HTTP prober with its own pools and sweeping timer (unref'd). */
export function createHttpProber(options: HttpProberOptions = {}): HttpProber {
  const pool: PoolOptions = {
    keepAlive: options.keepAlive ?? true,
    idleTimeoutMs: options.idleTimeoutMs ?? 4_000,
    maxConnectionAgeMs: options.maxConnectionAgeMs ?? 30_000,
  };
  const maxBodyBytes = options.maxBodyBytes ?? 4096;
  const ttlMs = options.targetTtlMs ?? 60_000;
  const userAgent = options.userAgent ?? "swh-agent/1";
  const agents = new AgentPool(pool);
  const fingerprints = new WeakMap<HttpSpec, string>();
  const targets = new Map<string, Map<string, Target>>();

  const targetFor = (address: string, spec: HttpSpec): Target => {
    let fingerprint = fingerprints.get(spec);
    if (fingerprint === undefined) {
      fingerprint = JSON.stringify(spec);
      fingerprints.set(spec, fingerprint);
    }
    let byAddress = targets.get(fingerprint);
    if (byAddress === undefined) {
      byAddress = new Map();
      targets.set(fingerprint, byAddress);
    }
    let target = byAddress.get(address);
    if (target === undefined) {
      target = buildTarget(address, spec, agents, userAgent);
      byAddress.set(address, target);
    }
    return target;
  };

  const sweep = (olderThan: number): void => {
    for (const [fingerprint, byAddress] of targets) {
      for (const [address, target] of byAddress) {
        if (target.lastUsed < olderThan) byAddress.delete(address);
      }
      if (byAddress.size === 0) targets.delete(fingerprint);
    }
  };
  const sweeper = setInterval(() => sweep(Date.now() - ttlMs), Math.max(1_000, ttlMs / 2));
  sweeper.unref();

  return {
    probe: (address, spec, timeoutMs) => {
      const startedAt = monotonicMs();
      if (spec.mode !== "HTTP") {
        return Promise.resolve(failed(startedAt, `HTTP prober given a ${spec.mode} probe`));
      }
      const target = targetFor(address, spec);
      const now = Date.now();
      // A connection kept after the previous probe is still there only within the idle timeout.
      const reuse = now - target.lastUsed <= pool.idleTimeoutMs;
      target.lastUsed = now;
      if (target.invalid !== undefined) return Promise.resolve(failed(startedAt, target.invalid));
      const request = reuse ? target.keepOptions : target.closeOptions;
      return exchange(target.send, request, target.accepts, { timeoutMs, maxBodyBytes, startedAt });
    },
    targets: () => {
      let count = 0;
      for (const byAddress of targets.values()) count += byAddress.size;
      return count;
    },
    close: () => {
      clearInterval(sweeper);
      targets.clear();
      agents.destroy();
    },
  };
}

function buildTarget(
  address: string,
  spec: HttpSpec,
  agents: AgentPool,
  userAgent: string,
): Target {
  const https = spec.scheme === "HTTPS";
  const accepts = statusMatcher(spec.expectedStatusCodes);
  const send = https ? httpsRequest : httpRequest;
  const agent = https
    ? agents.forHttps({
        caCert: spec.insecureSkipTLSVerify ? undefined : nonEmpty(spec.caCert),
        insecureSkipTLSVerify: spec.insecureSkipTLSVerify,
        servername: sniName(spec.host),
      })
    : agents.forHttp();
  if (typeof agent === "string") {
    return { send, keepOptions: {}, closeOptions: {}, accepts, invalid: agent, lastUsed: 0 };
  }
  const headers = buildHeaders(
    hostHeader(address, spec.port, https, spec.host),
    spec.headers,
    userAgent,
  );
  const keepOptions: RequestOptions = {
    host: address,
    port: spec.port,
    method: spec.method,
    path: normalizePath(spec.path),
    headers,
    agent,
  };
  const closeOptions = { ...keepOptions, headers: { ...headers, connection: "close" } };
  return { send, keepOptions, closeOptions, accepts, lastUsed: Date.now() };
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === "" ? undefined : text;
}

/** Per-probe limits of an exchange. */
interface ExchangeLimits {
  timeoutMs: number;
  maxBodyBytes: number;
  startedAt: number;
}

/** One request/response exchange, retried once if a reused connection turned out closed. */
function exchange(
  send: typeof httpRequest,
  options: RequestOptions,
  accepts: (status: number) => boolean,
  limits: ExchangeLimits,
): Promise<ProbeOutcome> {
  const { timeoutMs, maxBodyBytes, startedAt } = limits;
  return new Promise(resolve => {
    let settled = false;
    let request: ClientRequest | undefined;
    const settle = (outcome: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    // Runs until the body is drained too, so a trickling body cannot hold the connection.
    const timer = setTimeout(() => {
      settle(failed(startedAt, timeoutReason(timeoutMs)));
      request?.destroy();
    }, timeoutMs);
    const onResponse = (response: IncomingMessage): void => {
      const status = response.statusCode ?? 0;
      settle(accepts(status) ? passed(startedAt) : failed(startedAt, `HTTP ${status}`));
      drain(response, maxBodyBytes, () => clearTimeout(timer));
    };
    const attempt = (isRetry: boolean): void => {
      let current: ClientRequest;
      try {
        current = send(options);
      } catch (error) {
        clearTimeout(timer);
        settle(failed(startedAt, errorReason("HTTP request", error)));
        return;
      }
      request = current;
      current.on("response", onResponse);
      current.on("error", error => {
        if (!settled && !isRetry && current.reusedSocket && isStaleConnection(error)) {
          attempt(true);
          return;
        }
        clearTimeout(timer);
        settle(failed(startedAt, requestErrorReason(error)));
      });
      current.end();
    };
    attempt(false);
  });
}

/** Reads and discards at most `maxBytes` of body, then destroys the connection if more comes. */
function drain(response: IncomingMessage, maxBytes: number, done: () => void): void {
  let received = 0;
  response.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received > maxBytes) {
      response.destroy();
      done();
    }
  });
  response.on("end", done);
  response.on("error", done);
}

function isStaleConnection(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && STALE_CONNECTION_ERRORS.has(code);
}

/** `connect ECONNREFUSED`, `TLS CERT_HAS_EXPIRED`, `HTTP HPE_INVALID_CONSTANT`, ... */
function requestErrorReason(error: unknown): string {
  const code = errorCode(error);
  if (code !== undefined && CONNECT_ERRORS.has(code)) return `connect ${code}`;
  if (isTlsError(error, code)) return errorReason("TLS", error);
  return errorReason("HTTP", error);
}

function isTlsError(error: unknown, code: string | undefined): boolean {
  if (typeof error === "object" && error !== null && "library" in error) return true;
  return code !== undefined && /CERT|TLS|SSL|SIGNATURE|ISSUER|ALTNAME/.test(code);
}
