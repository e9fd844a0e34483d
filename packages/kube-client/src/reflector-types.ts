// The shapes of a Reflector's API: a change in its cache, the metrics observer, and its options
// (what to list and watch, the edge filter, relist and watch timing, backoff).

import type { KubeLogger } from "./logger.js";
import type { KubeRest } from "./rest.js";

/** A change in a reflector's cache. */
export type ReflectorEvent<T> =
  | {
      readonly type: "upsert";
      readonly key: string;
      readonly object: T;
      /** Set when the change comes from a (re)list that began at this time (ms). */
      readonly listStartedAt?: number;
    }
  | {
      readonly type: "delete";
      readonly key: string;
      readonly object: T;
      readonly listStartedAt?: number;
    };

/** Hooks for metrics. */
export interface ReflectorObserver {
  /** A list or watch failed or ended early; `reason` is an HTTP status, `network`, `gone`... */
  onRestart?(name: string, reason: string): void;
  /** A list completed. */
  onList?(name: string, objects: number): void;
}

/** Options of a Reflector. */
export interface ReflectorOptions<T> {
  /** Name in logs and metrics, e.g. `pods`. */
  readonly name: string;
  readonly rest: KubeRest;
  /** Resource name for API metrics. */
  readonly resource: string;
  /** Collection path, e.g. `/api/v1/pods`. */
  readonly path: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Edge filter: raw object to cached snapshot; undefined drops the object. */
  readonly transform: (raw: unknown) => T | undefined;
  /** Period of the full relist that repairs missed events (ms, jittered by 10%). */
  readonly relistIntervalMs: number;
  /**
   * Server-side timeout of one watch request (s, default 120, jittered by up to 50%). The stream
   * is also dropped when silent for this long plus 20 s, so a connection to a vanished API
   * server (no RST) is noticed within minutes, not when TCP keepalive gives up.
   */
  readonly watchTimeoutSeconds?: number;
  /** Items per list page (default 500). */
  readonly pageSize?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly log: KubeLogger;
  readonly observer?: ReflectorObserver;
  readonly now?: () => number;
}
