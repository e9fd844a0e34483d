// API discovery for the harness: which REST resource serves (apiVersion, kind), and whether it
// is namespaced. Scenario objects and the ModuleConfig bridge name kinds; the API speaks plural
// resources. Cached per group version and refreshed on a miss, because the module's own hook
// creates the ServiceWithHealthchecks CRD after start-up.
import type { KubeRest } from "swh-kube-client";
import { setTimeout as sleep } from "node:timers/promises";

/** A resolved resource. */
export interface ResourceInfo {
  readonly apiVersion: string;
  readonly kind: string;
  /** Plural resource name, e.g. `endpointslices`. */
  readonly plural: string;
  readonly namespaced: boolean;
}

interface ApiResourceList {
  readonly resources?: readonly { name: string; kind: string; namespaced: boolean }[];
}

/** `/api/v1` or `/apis/<group>/<version>`. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** Collection path of a resource, in a namespace or cluster-wide. */
export function collectionPath(info: ResourceInfo, namespace?: string): string {
  const base = groupVersionPath(info.apiVersion);
  return info.namespaced && namespace
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`
    : `${base}/${info.plural}`;
}

/** Path of one object, optionally a subresource. */
export function objectPath(
  info: ResourceInfo,
  namespace: string | undefined,
  name: string,
  subresource?: string,
): string {
  const path = `${collectionPath(info, namespace)}/${encodeURIComponent(name)}`;
  return subresource ? `${path}/${subresource}` : path;
}

/** Resolves kinds to resources through the API server's discovery documents. */
export class Discovery {
  readonly #rest: KubeRest;
  readonly #cache = new Map<string, ApiResourceList>();

  constructor(rest: KubeRest) {
    this.#rest = rest;
  }

  /**
   * The resource serving `kind` in `apiVersion` (kind matched case-insensitively, as
   * shell-operator does). Retries for `waitMs` when it is not served yet (a CRD just created).
   */
  async resolve(apiVersion: string, kind: string, waitMs = 0): Promise<ResourceInfo> {
    const deadline = Date.now() + waitMs;
    for (let fresh = false; ; fresh = true) {
      const found = await this.#lookup(apiVersion, kind, fresh);
      if (found) return found;
      if (fresh && Date.now() >= deadline) {
        throw new Error(`the API server serves no kind ${kind} in ${apiVersion}`);
      }
      if (fresh) await sleep(500);
    }
  }

  async #lookup(
    apiVersion: string,
    kind: string,
    fresh: boolean,
  ): Promise<ResourceInfo | undefined> {
    let list = fresh ? undefined : this.#cache.get(apiVersion);
    if (!list) {
      try {
        list = await this.#rest.request<ApiResourceList>({
          verb: "get",
          resource: "discovery",
          path: groupVersionPath(apiVersion),
        });
      } catch (err) {
        if ((err as { status?: number }).status === 404) return undefined;
        throw new Error(`discovery of ${apiVersion} failed`, { cause: err });
      }
      this.#cache.set(apiVersion, list);
    }
    const wanted = kind.toLowerCase();
    const match = (list.resources ?? []).find(
      r => !r.name.includes("/") && (r.kind.toLowerCase() === wanted || r.name === wanted),
    );
    return match
      ? { apiVersion, kind: match.kind, plural: match.name, namespaced: match.namespaced }
      : undefined;
  }
}
