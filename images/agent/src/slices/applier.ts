// Executes a SlicePlan against the API server: deletes first (a name may be reused), then
// updates, then creates. Every successful write is recorded in the SliceStore (the stale-cache
// guard). A 409 (someone else changed the slice, or it already exists) re-reads the slice into
// the store and reports `conflict`, so the caller re-plans from fresh state; NotFound on delete
// is success. Other errors stop the plan and are returned for a backoff retry. Per-write outcomes
// are reported for metrics.

import { LABEL_MANAGED_BY, LABEL_NODE_NAME, MANAGED_BY_VALUE } from "../../../../api/contract.js";
import {
  describeError,
  isConflict,
  isNotFound,
  KubeApiError,
  type RawEndpointSlice,
  type KubeRest,
} from "swh-kube-client";
import type { Logger } from "../log.js";
import type { SlicePlan } from "./plan.js";
import type { SliceStore } from "./store.js";

/** Write operations, for metrics. */
export type SliceOp = "create" | "update" | "delete";

/** What applying a plan did. */
export interface ApplyOutcome {
  /** Writes that succeeded. */
  readonly writes: number;
  /** A write hit a conflict; the store has the fresh object, re-plan and apply again. */
  readonly conflict: boolean;
  /** The error that stopped the plan, if any (not set for conflicts). */
  readonly error?: Error;
}

/** Options of SliceApplier. */
export interface SliceApplierOptions {
  readonly rest: KubeRest;
  readonly store: SliceStore;
  /** The node-name label value this agent's slices carry. */
  readonly nodeLabel: string;
  readonly log: Logger;
  readonly onWrite?: (op: SliceOp, ok: boolean) => void;
}

const BASE = "/apis/discovery.k8s.io/v1/namespaces";

function pathOf(namespace: string, name?: string): string {
  const base = `${BASE}/${encodeURIComponent(namespace)}/endpointslices`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

function ident(slice: RawEndpointSlice): { namespace: string; name: string } {
  return { namespace: slice.metadata?.namespace ?? "", name: slice.metadata?.name ?? "" };
}

/** Writes plans (see file header). */
export class SliceApplier {
  readonly #o: SliceApplierOptions;

  constructor(options: SliceApplierOptions) {
    this.#o = options;
  }

  /** Applies `plan`; stops at the first conflict or error. */
  async apply(plan: SlicePlan): Promise<ApplyOutcome> {
    const steps: Array<[SliceOp, RawEndpointSlice]> = [
      ...plan.delete.map((s): [SliceOp, RawEndpointSlice] => ["delete", s]),
      ...plan.update.map((s): [SliceOp, RawEndpointSlice] => ["update", s]),
      ...plan.create.map((s): [SliceOp, RawEndpointSlice] => ["create", s]),
    ];
    let writes = 0;
    for (const [op, slice] of steps) {
      try {
        await this.#write(op, slice);
        this.#o.onWrite?.(op, true);
        writes++;
      } catch (err) {
        this.#o.onWrite?.(op, false);
        if (isConflict(err) || (op === "update" && isNotFound(err))) {
          await this.#refresh(slice);
          return { writes, conflict: true };
        }
        const { namespace, name } = ident(slice);
        return {
          writes,
          conflict: false,
          error: new Error(`EndpointSlice ${op} failed for ${namespace}/${name}`, { cause: err }),
        };
      }
    }
    return { writes, conflict: false };
  }

  async #write(op: SliceOp, slice: RawEndpointSlice): Promise<void> {
    const { namespace, name } = ident(slice);
    if (op === "delete") {
      await this.#delete(slice);
      return;
    }
    const written = await this.#o.rest.request<RawEndpointSlice>({
      verb: op,
      resource: "endpointslices",
      path: op === "create" ? pathOf(namespace) : pathOf(namespace, name),
      body: slice,
    });
    this.#o.store.recordWrite(written);
  }

  async #delete(slice: RawEndpointSlice): Promise<void> {
    const { namespace, name } = ident(slice);
    const uid = slice.metadata?.uid;
    try {
      await this.#o.rest.request({
        verb: "delete",
        resource: "endpointslices",
        path: pathOf(namespace, name),
        body: {
          apiVersion: "v1",
          kind: "DeleteOptions",
          ...(uid ? { preconditions: { uid } } : {}),
        },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.#o.store.recordDelete(slice);
  }

  /** Re-reads a slice after a conflict so the next plan starts from the truth. */
  async #refresh(slice: RawEndpointSlice): Promise<void> {
    const { namespace, name } = ident(slice);
    try {
      const fresh = await this.#o.rest.request<RawEndpointSlice>({
        verb: "get",
        resource: "endpointslices",
        path: pathOf(namespace, name),
      });
      if (this.#ours(fresh)) {
        this.#o.store.recordWrite(fresh);
      } else {
        this.#o.log.error("an EndpointSlice with our name is not ours; leaving it alone", {
          slice: `${namespace}/${name}`,
        });
      }
    } catch (err) {
      if (isNotFound(err)) {
        this.#o.store.recordDelete(slice);
        return;
      }
      this.#o.log.warn("re-reading EndpointSlice after a conflict failed", {
        slice: `${namespace}/${name}`,
        error: describeError(err),
      });
    }
  }

  #ours(slice: RawEndpointSlice): boolean {
    const labels = slice.metadata?.labels ?? {};
    return (
      labels[LABEL_MANAGED_BY] === MANAGED_BY_VALUE && labels[LABEL_NODE_NAME] === this.#o.nodeLabel
    );
  }
}

/** True when an apply error is worth retrying (everything except a malformed request). */
export function retriable(err: unknown): boolean {
  const cause = err instanceof Error && err.cause instanceof KubeApiError ? err.cause : err;
  const status = cause instanceof KubeApiError ? cause.status : 0;
  return status !== 400 && status !== 422;
}
