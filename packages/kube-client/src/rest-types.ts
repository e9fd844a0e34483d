// The shapes of the REST client's calls: the API verbs, one request, one watch event, a watch's
// options, the metrics observer and KubeRest's options.

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
