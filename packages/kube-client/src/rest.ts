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

import type * as http from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import { fetchAuth, type AuthState } from "./rest-auth.js";
import { openRequest } from "./rest-request.js";
import {
  asKubeApiError,
  failureCode,
  parseWatchEvent,
  readAll,
  readLines,
  statusError,
} from "./rest-response.js";
import type {
  ApiObserver,
  KubeRestOptions,
  RequestSpec,
  WatchEvent,
  WatchOptions,
} from "./rest-types.js";

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
    const text = await this.#observed(spec, () => this.#send(spec));
    return (text === "" ? undefined : JSON.parse(text)) as T;
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
    await this.#observed(spec, () => this.#stream(spec, onEvent, options));
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

  /** Runs `call` and reports it to the observer: `2xx`, the failed status, or `network`. */
  async #observed<T>(spec: RequestSpec, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let code = "2xx";
    try {
      return await call();
    } catch (err) {
      code = failureCode(err);
      throw err;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.#observer.onRequest?.(spec.verb, spec.resource, code, seconds);
    }
  }

  async #authState(): Promise<AuthState> {
    const now = Date.now();
    if (this.#auth && now - this.#auth.fetchedAt < this.#authRefreshMs) return this.#auth;
    this.#auth = await fetchAuth(this.#kc, this.#server, this.#auth, now);
    return this.#auth;
  }

  async #open(spec: RequestSpec, signal: AbortSignal): Promise<http.IncomingMessage> {
    const auth = await this.#authState();
    return openRequest(spec, { server: this.#server, auth, userAgent: this.#userAgent, signal });
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
      const why = signal.aborted ? `timed out after ${timeoutMs} ms` : undefined;
      throw asKubeApiError(spec, err, why);
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
      throw asKubeApiError(spec, err, why);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Throws the call's KubeApiError on a non-2xx status; a 401 drops the cached credentials. */
  #checkStatus(spec: RequestSpec, status: number, text: string): void {
    const err = statusError(spec, status, text);
    if (!err) return;
    if (status === 401) this.resetAuth();
    throw err;
  }
}
