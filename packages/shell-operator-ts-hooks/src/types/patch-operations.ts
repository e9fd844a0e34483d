// The Kubernetes operations a hook collects (`$KUBERNETES_PATCH_PATH`): create, delete and the
// three patch kinds in the protocol's JSON shapes, their options, and the collector.

import type { KubeObject, ObjectRef } from "./basics.js";

/** One RFC 6902 operation. */
export interface JsonPatchOp {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  value?: unknown;
  from?: string;
}

/** Options common to the patch operations. */
export interface PatchOptions {
  subresource?: string;
  /** Do not fail when the object does not exist. */
  ignoreMissingObject?: boolean;
  /** Apply the patch even if the hook fails (shell-operator honours it for failed runs). */
  ignoreHookError?: boolean;
}

/** Options for create operations. */
export interface CreateOptions {
  subresource?: string;
}

/** Options for delete operations. */
export interface DeleteOptions {
  subresource?: string;
}

/** Create operation kinds. */
export type CreateOperationKind = "Create" | "CreateOrUpdate" | "CreateIfNotExists";
/** Delete operation kinds: foreground, background, orphaning. */
export type DeleteOperationKind = "Delete" | "DeleteInBackground" | "DeleteNonCascading";

/** `Create`, `CreateOrUpdate`, `CreateIfNotExists` (reference A.5). */
export interface CreatePatchOperation {
  readonly operation: CreateOperationKind;
  readonly object: KubeObject;
  readonly subresource?: string;
}

/** `Delete`, `DeleteInBackground`, `DeleteNonCascading`. */
export interface DeletePatchOperation {
  readonly operation: DeleteOperationKind;
  readonly apiVersion?: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly subresource?: string;
}

/** Fields shared by the three patch operations. */
interface PatchTarget {
  readonly apiVersion?: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly subresource?: string;
  readonly ignoreMissingObject?: boolean;
  readonly ignoreHookError?: boolean;
}

/** `MergePatch`. */
export interface MergePatchOperation extends PatchTarget {
  readonly operation: "MergePatch";
  readonly mergePatch: object;
}

/** `JSONPatch`. */
export interface JsonPatchOperation extends PatchTarget {
  readonly operation: "JSONPatch";
  readonly jsonPatch: readonly JsonPatchOp[];
}

/** `JQPatch`. */
export interface JqPatchOperation extends PatchTarget {
  readonly operation: "JQPatch";
  readonly jqFilter: string;
}

/** One line of `$KUBERNETES_PATCH_PATH`, exactly the protocol's JSON shape. */
export type PatchOperation =
  | CreatePatchOperation
  | DeletePatchOperation
  | MergePatchOperation
  | JsonPatchOperation
  | JqPatchOperation;

/** Collects Kubernetes operations; nothing reaches the API server while the hook runs. */
export interface PatchCollector {
  create(object: KubeObject, opts?: CreateOptions): void;
  createOrUpdate(object: KubeObject, opts?: CreateOptions): void;
  createIfNotExists(object: KubeObject, opts?: CreateOptions): void;
  /** Foreground deletion. */
  delete(ref: ObjectRef, opts?: DeleteOptions): void;
  deleteInBackground(ref: ObjectRef): void;
  /** Deletes the object and orphans its dependents. */
  deleteNonCascading(ref: ObjectRef): void;
  mergePatch(ref: ObjectRef, patch: object, opts?: PatchOptions): void;
  jsonPatch(ref: ObjectRef, ops: JsonPatchOp[], opts?: PatchOptions): void;
  jqPatch(ref: ObjectRef, jqFilter: string, opts?: PatchOptions): void;
  /** Ready operations (a planner's output), checked and kept in order like the methods above. */
  add(...operations: readonly PatchOperation[]): void;
  /** Everything collected, in order, in the protocol's JSON shapes. */
  operations(): readonly PatchOperation[];
}
