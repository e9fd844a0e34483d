// Raw-JSON API access for the harness, over the agent's small REST client (objects stay plain
// JSON, every call has a deadline): an admin client from the box's kubeconfig, server-side apply,
// get-or-undefined, delete-if-present and status patches.
import { KubeConfig } from "@kubernetes/client-node";
import { isNotFound, KubeRest } from "swh-kube-client";
import { stateLayout } from "../testenv/layout.js";

/** Field manager of the harness's own writes. */
export const HARNESS_MANAGER = "swh-cluster-harness";

/** A REST client authenticated by a kubeconfig file. */
export function restFromKubeconfig(path: string, userAgent = "swh-cluster-harness"): KubeRest {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return new KubeRest(kc, { userAgent, timeoutMs: 30_000 });
}

/** The box's admin (system:masters) client. */
export function adminRest(stateDir: string): KubeRest {
  return restFromKubeconfig(stateLayout(stateDir).adminKubeconfig);
}

/** Server-side applies `body` at `path` (the object's own path) and returns the result. */
export function apply<T = Record<string, unknown>>(
  rest: KubeRest,
  path: string,
  body: unknown,
  fieldManager = HARNESS_MANAGER,
): Promise<T> {
  return rest.request<T>({
    verb: "patch",
    resource: path.split("/").slice(-2)[0] ?? "object",
    path,
    query: { fieldManager, force: true },
    contentType: "application/apply-patch+yaml",
    body,
  });
}

/** GETs `path`; undefined on 404. */
export async function getOrUndefined<T = Record<string, unknown>>(
  rest: KubeRest,
  path: string,
): Promise<T | undefined> {
  try {
    return await rest.request<T>({ verb: "get", resource: "object", path });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** DELETEs `path` (background propagation, optional grace period); a 404 is fine. */
export async function deleteIfPresent(
  rest: KubeRest,
  path: string,
  gracePeriodSeconds?: number,
): Promise<void> {
  try {
    await rest.request({
      verb: "delete",
      resource: "object",
      path,
      body: {
        apiVersion: "v1",
        kind: "DeleteOptions",
        propagationPolicy: "Background",
        ...(gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds }),
      },
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Merge-patches `path` (e.g. a `/status` subresource). */
export function mergePatch<T = Record<string, unknown>>(
  rest: KubeRest,
  path: string,
  patch: unknown,
): Promise<T> {
  return rest.request<T>({
    verb: "patch",
    resource: "object",
    path,
    contentType: "application/merge-patch+json",
    body: patch,
  });
}

/** Lists `path` (optionally with a label selector) and returns the items. */
export async function listItems<T = Record<string, unknown>>(
  rest: KubeRest,
  path: string,
  labelSelector?: string,
): Promise<T[]> {
  const list = await rest.request<{ items?: T[] }>({
    verb: "list",
    resource: "object",
    path,
    ...(labelSelector ? { query: { labelSelector } } : {}),
  });
  return list.items ?? [];
}
