// The API calls a Reflector makes, built from its options: one page of the list, one watch from
// a resourceVersion (bookmarks on, a server-side timeout), and the error an ERROR watch event
// stands for.

import { KubeApiError } from "./errors.js";
import { isRecord, type RawStatus } from "./objects.js";
import type { ReflectorOptions } from "./reflector-types.js";
import type { RequestSpec } from "./rest-types.js";

/** The options the requests are built from. */
export type CollectionOptions = Pick<
  ReflectorOptions<unknown>,
  "resource" | "path" | "labelSelector" | "fieldSelector" | "pageSize"
>;

/** One page of the list, continuing from `cont`. */
export function listPageRequest(o: CollectionOptions, cont: string | undefined): RequestSpec {
  return {
    verb: "list",
    resource: o.resource,
    path: o.path,
    query: {
      labelSelector: o.labelSelector,
      fieldSelector: o.fieldSelector,
      limit: o.pageSize ?? 500,
      continue: cont,
    },
  };
}

/** A watch from `resourceVersion` that the server ends after `timeoutSeconds`. */
export function watchRequest(
  o: CollectionOptions,
  resourceVersion: string | undefined,
  timeoutSeconds: number,
): RequestSpec {
  return {
    verb: "watch",
    resource: o.resource,
    path: o.path,
    query: {
      watch: 1,
      resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds,
      labelSelector: o.labelSelector,
      fieldSelector: o.fieldSelector,
    },
  };
}

/** The error of an ERROR watch event, whose object is a Status. */
export function watchEventError(o: CollectionOptions, object: unknown): KubeApiError {
  const status = (isRecord(object) ? object : {}) as RawStatus;
  return new KubeApiError(`watch ${o.path}: ${status.message ?? "error event"}`, {
    status: status.code ?? 0,
    ...(status.reason ? { reason: status.reason } : {}),
    verb: "watch",
    resource: o.resource,
  });
}
