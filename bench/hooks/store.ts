// An in-memory stand-in for the API server's objects during the hook-scaling benchmark: the
// generated cluster, to which each run's patch operations are applied (create, merge patch, jq
// patch through the real jq, delete) so a second run sees the state the first one wrote - the
// steady state in which a hook run should find nothing to do. Only what the hooks emit is
// supported; anything else throws with the operation named.
//
// One controller is modelled, because the hooks rely on it: kube-controller-manager's
// endpointslice mirroring controller. The child-service hook marks an Endpoints object so that
// the mark reaches its mirror slice by the controller's copy, and the GC hook deletes the
// Endpoints so that the mirror goes with it; without the copy the mirror would stay unmarked and
// the hooks would never converge here, unlike in a cluster.

import { execFileSync } from "node:child_process";
import { isMirrorOf, mirroredMetadata } from "./controller-objects.js";
import type { KubeObject } from "./objects.js";

/** One operation of the shell-operator patch protocol, as the hooks write them. */
export type PatchOp = Record<string, unknown> & { operation: string };

/** Kind, namespace and name: unique among the generated objects (operations may omit apiVersion). */
function keyOf(kind: unknown, namespace: unknown, name: unknown): string {
  return `${String(kind)}|${typeof namespace === "string" ? namespace : ""}|${String(name)}`;
}

function objectKey(o: KubeObject): string {
  return keyOf(o.kind, o.metadata.namespace, o.metadata.name);
}

/** RFC 7386 JSON merge patch of `patch` into `target` (returns a new value). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const base =
    typeof target === "object" && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

function jqOnce(filter: string, input: unknown): KubeObject {
  const out = execFileSync("jq", ["-c", filter], {
    input: JSON.stringify(input),
    maxBuffer: 1 << 28,
  });
  return JSON.parse(out.toString("utf8")) as KubeObject;
}

/** The objects, keyed by kind, namespace and name. */
export class ObjectStore {
  readonly #objects = new Map<string, KubeObject>();
  #uids = 0;

  constructor(objects: readonly KubeObject[]) {
    for (const o of objects) this.#objects.set(objectKey(o), o);
  }

  /** Every object (insertion order). */
  all(): KubeObject[] {
    return [...this.#objects.values()];
  }

  /** Applies one operation (then the mirroring controller's copy); throws for unmodelled ones. */
  apply(op: PatchOp): void {
    this.#applyOwn(op);
    if (op.kind === "Endpoints") this.#mirror(String(op.namespace), String(op.name));
  }

  #applyOwn(op: PatchOp): void {
    switch (op.operation) {
      case "Create":
      case "CreateOrUpdate":
      case "CreateIfNotExists":
        this.#create(op);
        return;
      case "MergePatch":
        this.#update(op, current => {
          const body =
            op.subresource === "status" && !("status" in (op.mergePatch as object))
              ? { status: op.mergePatch }
              : op.mergePatch;
          return mergePatch(current, body) as KubeObject;
        });
        return;
      case "JQPatch":
        this.#update(op, current => jqOnce(String(op.jqFilter), current));
        return;
      case "Delete":
      case "DeleteInBackground":
      case "DeleteNonCascading":
        this.#objects.delete(keyOf(op.kind, op.namespace, op.name));
        return;
      default:
        throw new Error(`the benchmark's object store cannot apply ${op.operation}`);
    }
  }

  #create(op: PatchOp): void {
    const object = (
      typeof op.object === "string" ? JSON.parse(op.object) : op.object
    ) as KubeObject;
    const key = objectKey(object);
    const existing = this.#objects.get(key);
    if (existing !== undefined && op.operation === "CreateIfNotExists") return;
    if (existing !== undefined && op.operation === "Create") {
      throw new Error(`Create of an existing object ${key}`);
    }
    const uid = existing?.metadata.uid ?? `created-uid-${++this.#uids}`;
    const status = existing?.status;
    this.#objects.set(key, {
      ...object,
      metadata: { ...object.metadata, uid },
      ...(status === undefined ? {} : { status }),
    });
  }

  /**
   * The mirroring controller after a change of Endpoints `namespace/name`: its mirrors take the
   * Endpoints' labels and annotations, or go when it is gone.
   */
  #mirror(namespace: string, name: string): void {
    const endpoints = this.#objects.get(keyOf("Endpoints", namespace, name));
    for (const [key, object] of this.#objects) {
      if (!isMirrorOf(object, namespace, name)) continue;
      if (endpoints === undefined) {
        this.#objects.delete(key);
        continue;
      }
      this.#objects.set(key, {
        ...object,
        metadata: { ...object.metadata, ...mirroredMetadata(endpoints) },
      });
    }
  }

  #update(op: PatchOp, change: (current: KubeObject) => KubeObject): void {
    const key = keyOf(op.kind, op.namespace, op.name);
    const current = this.#objects.get(key);
    if (current === undefined) {
      if (op.ignoreMissingObject === true) return;
      throw new Error(`${op.operation} of a missing object ${key}`);
    }
    this.#objects.set(key, change(current));
  }
}
