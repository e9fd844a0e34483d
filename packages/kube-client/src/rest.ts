// A small REST client for the API server: JSON requests and watch streams over node:http(s),
// authenticated by @kubernetes/client-node's KubeConfig (kubeconfig file or in-cluster
// ServiceAccount token, which it re-reads as it rotates).
//
// Why not the generated API classes and the library's Watch: the generated classes turn
// timestamps into Date objects on reads but expect Dates on writes, while watch events carry
// plain strings - mixing them corrupts objects that round-trip; they create a new https.Agent
// (no keep-alive) per request and have no request timeout, and the library's Watch cannot be
// aborted before the response headers arrive, so a black-holed connection hangs it. Here every
// request has a deadline, connections are reused, every call is counted by verb and resource,
// and objects stay raw JSON end to end.

import * as http from "node:http";
import * as https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { KubeApiError } from "./errors.js";
import type { RawStatus } from "./objects.js";

/** API verbs, as Kubernetes' RBAC and audit name them. */
export type ApiVerb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete";

/** One API call. */
export interface RequestSpec {
  readonly verb: ApiVerb;
  /** Resource name for metrics and messages (`endpointslices`, `leases`, ...). */
  readonly resource: string;
  /** Absolute API path, e.g. `/api/v1/namespaces/ns/pods`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  /** Request content type (default application/json). */
  readonly contentType?: string;
  /** Deadline of the whole call (default: the client's). */
  readonly timeoutMs?: number;
}

/** One watch event as the API server sends it. */
export interface WatchEvent {
  readonly type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  readonly object: unknown;
}

/** Options of one watch request. */
export interface WatchOptions {
  readonly signal: AbortSignal;
  /** The stream is dropped when no line arrives for this long. */
  readonly idleTimeoutMs: number;
  /** Called once the server accepted the watch (HTTP 200), before any event. */
  readonly onOpen?: () => void;
}

/** Hooks for metrics. */
export interface ApiObserver {
  /** After every call: `code` is the HTTP status or `network`. */
  onRequest?(verb: ApiVerb, resource: string, code: string, seconds: number): void;
}

/** Options of KubeRest. */
export interface KubeRestOptions {
  /** Default deadline of a call (ms). */
  readonly timeoutMs?: number;
  /** How long cached credentials are reused before KubeConfig is asked again (ms). */
  readonly authRefreshMs?: number;
  readonly userAgent?: string;
  readonly observer?: ApiObserver;
}

interface AuthState {
  readonly headers: Record<string, string>;
  readonly agent: http.Agent;
  readonly tlsFingerprint: string;
  readonly fetchedAt: number;
}

function tlsFingerprint(opts: https.RequestOptions): string {
  const part = (v: unknown): string =>
    Buffer.isBuffer(v) ? v.toString("base64") : typeof v === "string" ? v : "";
  return [opts.ca, opts.cert, opts.key, opts.rejectUnauthorized, opts.servername]
    .map(part)
    .join("|");
}

function headerRecord(headers: https.RequestOptions["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[key] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

function parseStatus(text: string): RawStatus {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === "object" && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

/** JSON and watch calls against one API server (see file header). */
export class KubeRest {
  readonly #kc: KubeConfig;
  readonly #server: URL;
  readonly #timeoutMs: number;
  readonly #authRefreshMs: number;
  readonly #userAgent: string;
  readonly #observer: ApiObserver;
  #auth: AuthState | undefined;

  constructor(kc: KubeConfig, options: KubeRestOptions = {}) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no current cluster");
    this.#kc = kc;
    this.#server = new URL(cluster.server.replace(/\/+$/, ""));
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#authRefreshMs = options.authRefreshMs ?? 60_000;
    this.#userAgent = options.userAgent ?? "swh-agent";
    this.#observer = options.observer ?? {};
  }

  /** The API server's base URL. */
  get server(): string {
    return this.#server.toString();
  }

  /** Performs a JSON call and returns the parsed response body. */
  async request<T>(spec: RequestSpec): Promise<T> {
    const started = performance.now();
    try {
      const text = await this.#send(spec);
      this.#observe(spec, "2xx", started);
      return (text === "" ? undefined : JSON.parse(text)) as T;
    } catch (err) {
      this.#observe(
        spec,
        err instanceof KubeApiError && err.status ? String(err.status) : "network",
        started,
      );
      throw err;
    }
  }

  /**
   * Streams a watch: calls `onEvent` per event until the server ends the stream (resolves),
   * `signal` aborts (resolves), nothing arrives for `idleTimeoutMs` or the call fails (rejects).
   */
  async watch(
    spec: RequestSpec,
    onEvent: (event: WatchEvent) => void,
    options: WatchOptions,
  ): Promise<void> {
    const started = performance.now();
    try {
      await this.#stream(spec, onEvent, options);
      this.#observe(spec, "2xx", started);
    } catch (err) {
      this.#observe(
        spec,
        err instanceof KubeApiError && err.status ? String(err.status) : "network",
        started,
      );
      throw err;
    }
  }

  /** Drops cached credentials and pooled connections (e.g. after a 401). */
  resetAuth(): void {
    this.#auth?.agent.destroy();
    this.#auth = undefined;
  }

  /** Closes pooled connections. */
  close(): void {
    this.resetAuth();
  }

  #observe(spec: RequestSpec, code: string, started: number): void {
    this.#observer.onRequest?.(
      spec.verb,
      spec.resource,
      code,
      (performance.now() - started) / 1000,
    );
  }

  async #authState(): Promise<AuthState> {
    const now = Date.now();
    if (this.#auth && now - this.#auth.fetchedAt < this.#authRefreshMs) return this.#auth;
    const opts: https.RequestOptions = {};
    await this.#kc.applyToHTTPSOptions(opts);
    const headers = headerRecord(opts.headers);
    if (typeof opts.auth === "string" && opts.auth !== "") {
      headers.Authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
    }
    const fingerprint = tlsFingerprint(opts);
    let agent = this.#auth?.agent;
    if (!agent || this.#auth?.tlsFingerprint !== fingerprint) {
      this.#auth?.agent.destroy();
      agent = this.#newAgent(opts);
    }
    this.#auth = { headers, agent, tlsFingerprint: fingerprint, fetchedAt: now };
    return this.#auth;
  }

  #newAgent(opts: https.RequestOptions): http.Agent {
    if (this.#server.protocol === "http:") return new http.Agent({ keepAlive: true });
    return new https.Agent({
      keepAlive: true,
      ...(opts.ca ? { ca: opts.ca } : {}),
      ...(opts.cert ? { cert: opts.cert } : {}),
      ...(opts.key ? { key: opts.key } : {}),
      ...(opts.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
      ...(opts.servername ? { servername: opts.servername } : {}),
    });
  }

  #url(spec: RequestSpec): URL {
    const url = new URL(this.#server.pathname.replace(/\/$/, "") + spec.path, this.#server);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  async #open(spec: RequestSpec, signal: AbortSignal): Promise<http.IncomingMessage> {
    const auth = await this.#authState();
    const url = this.#url(spec);
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const headers: Record<string, string> = {
      ...auth.headers,
      Accept: "application/json",
      "User-Agent": this.#userAgent,
      ...(body === undefined
        ? {}
        : {
            "Content-Type": spec.contentType ?? "application/json",
            "Content-Length": String(Buffer.byteLength(body)),
          }),
    };
    const transport = url.protocol === "http:" ? http : https;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        url,
        { method: methodOf(spec.verb), headers, agent: auth.agent, signal },
        resolve,
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  async #send(spec: RequestSpec): Promise<string> {
    const timeoutMs = spec.timeoutMs ?? this.#timeoutMs;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await this.#open(spec, signal);
      const text = await readAll(res);
      this.#checkStatus(spec, res.statusCode ?? 0, text);
      return text;
    } catch (err) {
      throw this.#wrap(spec, err, signal.aborted ? `timed out after ${timeoutMs} ms` : undefined);
    }
  }

  async #stream(
    spec: RequestSpec,
    onEvent: (event: WatchEvent) => void,
    options: WatchOptions,
  ): Promise<void> {
    const idle = new AbortController();
    const signal = AbortSignal.any([options.signal, idle.signal]);
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), options.idleTimeoutMs);
      timer.unref();
    };
    arm();
    try {
      const res = await this.#open(spec, signal);
      if (res.statusCode !== 200) {
        this.#checkStatus(spec, res.statusCode ?? 0, await readAll(res));
      }
      options.onOpen?.();
      await readLines(res, line => {
        arm();
        if (line.trim() !== "") onEvent(parseWatchEvent(line));
      });
    } catch (err) {
      if (options.signal.aborted) return;
      const why = idle.signal.aborted ? `no data for ${options.idleTimeoutMs} ms` : undefined;
      throw this.#wrap(spec, err, why);
    } finally {
      clearTimeout(timer);
    }
  }

  #checkStatus(spec: RequestSpec, status: number, text: string): void {
    if (status >= 200 && status < 300) return;
    if (status === 401) this.resetAuth();
    const parsed = parseStatus(text);
    const detail = parsed.message ?? (text.slice(0, 200) || `HTTP ${status}`);
    throw new KubeApiError(`${spec.verb} ${spec.path}: ${status} ${detail}`, {
      status,
      ...(parsed.reason ? { reason: parsed.reason } : {}),
      verb: spec.verb,
      resource: spec.resource,
    });
  }

  #wrap(spec: RequestSpec, err: unknown, why: string | undefined): KubeApiError {
    if (err instanceof KubeApiError) return err;
    const message = why ?? (err instanceof Error ? err.message : String(err));
    return new KubeApiError(
      `${spec.verb} ${spec.path}: ${message}`,
      { status: 0, verb: spec.verb, resource: spec.resource },
      { cause: err },
    );
  }
}

function methodOf(verb: ApiVerb): string {
  switch (verb) {
    case "create":
      return "POST";
    case "update":
      return "PUT";
    case "patch":
      return "PATCH";
    case "delete":
      return "DELETE";
    default:
      return "GET";
  }
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", reject);
    res.on("aborted", () => reject(new Error("response aborted")));
  });
}

/** One line of a watch stream; a line that is not JSON is a broken stream (a network failure). */
function parseWatchEvent(line: string): WatchEvent {
  try {
    return JSON.parse(line) as WatchEvent;
  } catch (err) {
    throw new Error("unreadable watch event", { cause: err });
  }
}

/**
 * Calls `onLine` for every newline-terminated line; resolves at the end of the stream, rejects
 * with what `onLine` threw (as it is: a KubeApiError from an ERROR event keeps its status).
 */
function readLines(res: http.IncomingMessage, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let pending = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        try {
          onLine(line);
        } catch (err) {
          res.destroy();
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        newline = pending.indexOf("\n");
      }
    });
    res.on("end", () => resolve());
    res.on("error", reject);
    res.on("close", () => (res.complete ? resolve() : reject(new Error("watch stream closed"))));
  });
}
