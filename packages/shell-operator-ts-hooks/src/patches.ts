// The Kubernetes patch collector: an append-only list of operations in exactly the JSON shapes
// shell-operator's object_patch accepts (reference A.5), with no keys beyond the documented set
// and no optional key present unless set.

import type {
  CreateOperationKind,
  CreateOptions,
  DeleteOperationKind,
  DeleteOptions,
  KubeObject,
  ObjectRef,
  PatchCollector,
  PatchOperation,
  PatchOptions,
} from "./types.js";

/** A new, empty collector. Not shared between runs. */
export function createPatchCollector(): PatchCollector {
  const ops: PatchOperation[] = [];
  const create = (
    operation: CreateOperationKind,
    object: KubeObject,
    opts?: CreateOptions,
  ): number => ops.push(createOperation(operation, object, opts));
  const del = (operation: DeleteOperationKind, ref: ObjectRef, opts?: DeleteOptions): number =>
    ops.push({ operation, ...target(ref), ...subresourceOf(opts) });
  return {
    create: (object, opts) => void create("Create", object, opts),
    createOrUpdate: (object, opts) => void create("CreateOrUpdate", object, opts),
    createIfNotExists: (object, opts) => void create("CreateIfNotExists", object, opts),
    delete: (ref, opts) => void del("Delete", ref, opts),
    deleteInBackground: ref => void del("DeleteInBackground", ref),
    deleteNonCascading: ref => void del("DeleteNonCascading", ref),
    mergePatch: (ref, patch, opts) =>
      void ops.push({ operation: "MergePatch", ...target(ref), mergePatch: patch, ...flags(opts) }),
    jsonPatch: (ref, jsonPatch, opts) =>
      void ops.push({ operation: "JSONPatch", ...target(ref), jsonPatch, ...flags(opts) }),
    jqPatch: (ref, jqFilter, opts) =>
      void ops.push({ operation: "JQPatch", ...target(ref), jqFilter, ...flags(opts) }),
    add: (...operations) => {
      for (const op of operations) ops.push(normalize(op));
    },
    operations: () => ops.slice(),
  };
}

/**
 * A ready operation (a planner's output) checked and brought to the protocol's shape, exactly
 * as the collector's own methods build it.
 */
function normalize(op: PatchOperation): PatchOperation {
  switch (op.operation) {
    case "Create":
    case "CreateOrUpdate":
    case "CreateIfNotExists":
      return createOperation(op.operation, op.object, op);
    case "Delete":
    case "DeleteInBackground":
    case "DeleteNonCascading":
      return { operation: op.operation, ...readyTarget(op), ...subresourceOf(op) };
    case "MergePatch":
      return {
        operation: op.operation,
        ...readyTarget(op),
        mergePatch: op.mergePatch,
        ...flags(op),
      };
    case "JSONPatch":
      return { operation: op.operation, ...readyTarget(op), jsonPatch: op.jsonPatch, ...flags(op) };
    case "JQPatch":
      return { operation: op.operation, ...readyTarget(op), jqFilter: op.jqFilter, ...flags(op) };
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

/** target() of a ready operation: the methods take an ObjectRef, whose apiVersion is required. */
function readyTarget(
  op: Exclude<PatchOperation, { object: KubeObject }>,
): ReturnType<typeof target> {
  if (!op.apiVersion)
    throw new Error(`${op.operation} of ${op.kind} ${op.name} needs an apiVersion`);
  return target(op);
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
