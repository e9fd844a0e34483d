// The Kubernetes patch collector: an append-only list of operations in exactly the JSON shapes
// shell-operator's object_patch accepts (reference A.5), with no keys beyond the documented set
// and no optional key present unless set.

import type { KubeObject, ObjectRef } from "./types/basics.js";
import type {
  CreateOperationKind,
  CreateOptions,
  DeleteOperationKind,
  DeleteOptions,
  PatchCollector,
  PatchOperation,
  PatchOptions,
} from "./types/patch-operations.js";

/** A new, empty collector. Not shared between runs. */
export function createPatchCollector(): PatchCollector {
  const ops: PatchOperation[] = [];
  const push = (op: PatchOperation): void => void ops.push(shape(op));
  const create = (operation: CreateOperationKind, object: KubeObject, opts?: CreateOptions): void =>
    push({ operation, object, ...opts });
  const del = (operation: DeleteOperationKind, ref: ObjectRef, opts?: DeleteOptions): void =>
    push({ operation, ...ref, ...opts });
  return {
    create: (object, opts) => create("Create", object, opts),
    createOrUpdate: (object, opts) => create("CreateOrUpdate", object, opts),
    createIfNotExists: (object, opts) => create("CreateIfNotExists", object, opts),
    delete: (ref, opts) => del("Delete", ref, opts),
    deleteInBackground: ref => del("DeleteInBackground", ref),
    deleteNonCascading: ref => del("DeleteNonCascading", ref),
    mergePatch: (ref, mergePatch, opts) =>
      push({ operation: "MergePatch", ...ref, mergePatch, ...opts }),
    jsonPatch: (ref, jsonPatch, opts) =>
      push({ operation: "JSONPatch", ...ref, jsonPatch, ...opts }),
    jqPatch: (ref, jqFilter, opts) => push({ operation: "JQPatch", ...ref, jqFilter, ...opts }),
    add: (...operations) => {
      for (const op of operations) {
        const shaped = shape(op);
        // The methods take an ObjectRef, whose apiVersion is required: so do ready operations.
        if (!("object" in shaped) && !shaped.apiVersion) {
          throw new Error(`${op.operation} of ${shaped.kind} ${shaped.name} needs an apiVersion`);
        }
        ops.push(shaped);
      }
    },
    operations: () => ops.slice(),
  };
}

/**
 * An operation checked and brought to the protocol's shape: the documented keys in its order,
 * optional ones only when set. Every operation the collector keeps goes through here.
 */
function shape(op: PatchOperation): PatchOperation {
  switch (op.operation) {
    case "Create":
    case "CreateOrUpdate":
    case "CreateIfNotExists":
      return createOperation(op.operation, op.object, op);
    case "Delete":
    case "DeleteInBackground":
    case "DeleteNonCascading":
      return { operation: op.operation, ...target(op), ...subresourceOf(op) };
    case "MergePatch":
      return { operation: op.operation, ...target(op), mergePatch: op.mergePatch, ...flags(op) };
    case "JSONPatch":
      return { operation: op.operation, ...target(op), jsonPatch: op.jsonPatch, ...flags(op) };
    case "JQPatch":
      return { operation: op.operation, ...target(op), jqFilter: op.jqFilter, ...flags(op) };
    default:
      throw new Error(
        `unknown patch operation ${JSON.stringify((op as { operation?: unknown }).operation)}`,
      );
  }
}

function createOperation(
  operation: CreateOperationKind,
  object: KubeObject,
  opts: CreateOptions | undefined,
): PatchOperation {
  if (!object.metadata?.name) {
    throw new Error(`${operation}: object ${object.kind} has no metadata.name`);
  }
  return { operation, object, ...subresourceOf(opts) };
}

/** apiVersion, kind, namespace (only when non-empty) and name, in the protocol's order. */
function target(ref: Omit<ObjectRef, "apiVersion"> & { readonly apiVersion?: string }): {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
} {
  if (!ref.kind || !ref.name) {
    throw new Error(`patch target needs kind and name, got ${JSON.stringify(ref)}`);
  }
  return {
    ...(ref.apiVersion ? { apiVersion: ref.apiVersion } : {}),
    kind: ref.kind,
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    name: ref.name,
  };
}

function subresourceOf(opts: CreateOptions | DeleteOptions | undefined): {
  subresource?: string;
} {
  return opts?.subresource ? { subresource: opts.subresource } : {};
}

function flags(opts: PatchOptions | undefined): PatchOptions {
  return {
    ...subresourceOf(opts),
    ...(opts?.ignoreMissingObject ? { ignoreMissingObject: true } : {}),
    ...(opts?.ignoreHookError ? { ignoreHookError: true } : {}),
  };
}
