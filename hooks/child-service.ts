// Child Service hook: every ServiceWithHealthchecks gets a Service of the same name and
// namespace with no selector (so only the agent's EndpointSlices feed it), the SWH's Service
// fields, its labels and annotations, and a controller owner reference to the SWH (so the
// Kubernetes garbage collector deletes it with the SWH). The hook writes only when the child
// differs from what it should be.
//
// Writes: a new child is created with CreateIfNotExists, so a run that races our own earlier
// create (the Service informer has not caught up yet) is a no-op instead of a failed run that
// would block the operator's queue. An existing child gets a MergePatch holding exactly the
// fields that differ, with `null` for removals: CreateOrUpdate would send the whole object,
// could not remove a label or the selector without explicit nulls anyway, and would rewrite
// fields other controllers own on the Service (cloud LB annotations, allocated values). The
// patch sets `ignoreMissingObject` so a child deleted between snapshot and write does not fail
// the run; the next run recreates it.

import {
  defineHook,
  type CreatePatchOperation,
  type HookInput,
  type KubeObject,
  type MergePatchOperation,
  type PatchCollector,
} from "shell-operator-ts-hooks";
import { SWH_API_VERSION, SWH_KIND } from "../api/contract.js";
import {
  classifyChildService,
  filterService,
  isAdoptable,
  SERVICE_SPEC_JQ_FILTER,
  type OwnerReferenceSnapshot,
  type ServiceSnapshot,
} from "./lib/child-service-state.js";
import {
  childServiceSpecForCreate,
  childServiceSpecPatch,
  childServiceSpecProblem,
} from "./lib/child-service-spec.js";
import { childMetadataPatch, desiredChildMetadata } from "./lib/metadata.js";
import { filterSwh, objectKey, SWH_SPEC_JQ_FILTER, type SwhSnapshot } from "./lib/swh.js";

/** Binding names of this hook. */
export const SWH_BINDING = "swh";
export const SERVICES_BINDING = "services";

/** An operation the plan asks for. */
export type ChildServiceOperation = CreatePatchOperation | MergePatchOperation;

/** An SWH the plan could not act on, with the reason (conflicts are the status hook's job). */
export interface SkippedSwh {
  readonly key: string;
  readonly reason: string;
}

/** The outcome of planning: operations to emit and SWHs whose spec the API would reject. */
export interface ChildServicePlan {
  readonly operations: readonly ChildServiceOperation[];
  readonly invalid: readonly SkippedSwh[];
}

/** Controller owner reference to the SWH; blockOwnerDeletion false needs no finalizers RBAC. */
export function ownerReferenceTo(swh: SwhSnapshot): OwnerReferenceSnapshot {
  return {
    apiVersion: SWH_API_VERSION,
    kind: SWH_KIND,
    name: swh.name,
    uid: swh.uid,
    controller: true,
    blockOwnerDeletion: false,
  };
}

/** The child Service to create for `swh`. */
export function desiredChildService(swh: SwhSnapshot): KubeObject {
  const { labels, annotations } = desiredChildMetadata(swh);
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: swh.name,
      namespace: swh.namespace,
      labels: { ...labels },
      annotations: { ...annotations },
      ownerReferences: [ownerReferenceTo(swh)],
    },
    spec: childServiceSpecForCreate(swh.spec),
  };
}

/**
 * The JSON merge patch that brings an existing child (ours, or adoptable) in line with `swh`;
 * undefined when it already is. Adoption adds our controller reference and keeps the Service's
 * other (non-controller) owner references, as a merge patch replaces the whole list.
 */
export function childServicePatch(
  swh: SwhSnapshot,
  child: ServiceSnapshot,
): Record<string, unknown> | undefined {
  const metadata: Record<string, unknown> = { ...childMetadataPatch(swh, child) };
  if (isAdoptable(child)) {
    metadata.ownerReferences = [
      ...child.ownerReferences.filter(o => o.uid !== swh.uid),
      ownerReferenceTo(swh),
    ];
  }
  const spec = childServiceSpecPatch(swh.spec, child.spec);
  const patch: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) patch.metadata = metadata;
  if (spec !== undefined) patch.spec = spec;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

function patchOperation(swh: SwhSnapshot, mergePatch: object): MergePatchOperation {
  return {
    operation: "MergePatch",
    apiVersion: "v1",
    kind: "Service",
    namespace: swh.namespace,
    name: swh.name,
    mergePatch,
    ignoreMissingObject: true,
  };
}

/** The operation for one SWH, or undefined when nothing is to be written. */
function planOne(
  swh: SwhSnapshot,
  child: ServiceSnapshot | undefined,
): ChildServiceOperation | undefined {
  if (child === undefined) {
    return { operation: "CreateIfNotExists", object: desiredChildService(swh) };
  }
  const { state } = classifyChildService(swh, child);
  // Conflict and ClusterIPImmutable: left untouched, the status hook reports them. A child
  // being deleted is left to finish; the next run recreates it.
  if (state === "Conflict" || state === "ClusterIPImmutable" || child.deletionTimestamp) {
    return undefined;
  }
  const patch = childServicePatch(swh, child);
  return patch === undefined ? undefined : patchOperation(swh, patch);
}

/**
 * Plans the writes for all SWHs given every Service in the cluster: create missing children,
 * patch children (or adoptable Services) that differ, leave everything else alone. SWHs being
 * deleted are skipped (the garbage collector removes their children). Linear in the number
 * of SWHs and Services.
 */
export function planChildServices(
  swhs: readonly SwhSnapshot[],
  services: readonly ServiceSnapshot[],
): ChildServicePlan {
  const byKey = new Map<string, ServiceSnapshot>();
  for (const service of services) byKey.set(objectKey(service.namespace, service.name), service);
  const operations: ChildServiceOperation[] = [];
  const invalid: SkippedSwh[] = [];
  for (const swh of swhs) {
    if (swh.deletionTimestamp !== undefined) continue;
    const key = objectKey(swh.namespace, swh.name);
    const problem = childServiceSpecProblem(swh.spec);
    if (problem !== undefined) {
      invalid.push({ key, reason: problem });
      continue;
    }
    const operation = planOne(swh, byKey.get(key));
    if (operation !== undefined) operations.push(operation);
  }
  return { operations, invalid };
}

/** Hands the planned operations to the patch collector. */
export function emitChildServiceOperations(
  patches: PatchCollector,
  operations: readonly ChildServiceOperation[],
): void {
  for (const op of operations) {
    if (op.operation === "MergePatch") {
      const ref = { apiVersion: "v1", kind: op.kind, namespace: op.namespace, name: op.name };
      patches.mergePatch(ref, op.mergePatch, { ignoreMissingObject: op.ignoreMissingObject });
    } else {
      patches.createIfNotExists(op.object);
    }
  }
}

const bindings = {
  [SWH_BINDING]: {
    name: SWH_BINDING,
    apiVersion: SWH_API_VERSION,
    kind: SWH_KIND,
    jqFilter: SWH_SPEC_JQ_FILTER,
    filter: filterSwh,
  },
  [SERVICES_BINDING]: {
    name: SERVICES_BINDING,
    apiVersion: "v1",
    kind: "Service",
    jqFilter: SERVICE_SPEC_JQ_FILTER,
    filter: filterService,
  },
};

/** Runs the plan on the input's snapshots and logs what it did. */
function handle(input: HookInput<typeof bindings>): void {
  const plan = planChildServices(input.snapshots[SWH_BINDING], input.snapshots[SERVICES_BINDING]);
  emitChildServiceOperations(input.patches, plan.operations);
  for (const skipped of plan.invalid) {
    input.logger.warn("child Service not written: the API server would reject it", {
      swh: skipped.key,
      reason: skipped.reason,
    });
  }
  if (plan.operations.length > 0) {
    input.logger.info("child Services to write", { operations: plan.operations.length });
  }
}

/** The child-service hook: SWHs and Services in, child Service creates and patches out. */
export const childServiceHook = defineHook({ name: "child-service", kubernetes: bindings }, handle);
