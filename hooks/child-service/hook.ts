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
//
// Nothing is written in a namespace being deleted (hooks/lib/namespaces.ts): the namespace
// controller deletes the child there, and recreating it would be refused (403) and fail the run.
// An SWH being deleted gets nothing either: the garbage collector removes its child.
//
// For a child that is ours and has no selector, what kube-controller-manager published while it
// had one (an adopted Service; a child someone gave a selector) is marked for the GC hook, which
// deletes it once the agents serve instead: hooks/lib/controller-leftovers.ts says which objects
// and why, hooks/lib/leftover-marks.ts how they are marked.

import {
  defineHook,
  type CreatePatchOperation,
  type HookInput,
  type KubeObject,
  type MergePatchOperation,
} from "shell-operator-ts-hooks";
import { SWH_API_VERSION, SWH_KIND } from "../../api/contract.js";
import {
  classifyChildService,
  controllerUid,
  filterService,
  isAdoptable,
  SERVICE_SPEC_JQ_FILTER,
  type OwnerReferenceSnapshot,
  type ServiceSnapshot,
} from "../lib/child-service-state.js";
import {
  childServiceSpecForCreate,
  childServiceSpecPatch,
  childServiceSpecProblem,
} from "./spec.js";
import {
  controllerSlicesBinding,
  CONTROLLER_SLICES_BINDING,
  mirroredSlicesBinding,
  MIRRORED_SLICES_BINDING,
  type ControllerSliceSnapshot,
} from "../lib/controller-leftovers.js";
import {
  leftoverGraceSeconds,
  planLeftoverMarks,
  type SelectorlessChild,
} from "../lib/leftover-marks.js";
import { childMetadataPatch, desiredChildMetadata } from "./metadata.js";
import {
  namespacesBinding,
  NAMESPACES_BINDING,
  terminatingNamespaceNames,
  type TerminatingNamespace,
} from "../lib/namespaces.js";
import { filterSwh, objectKey, SWH_SPEC_JQ_FILTER, type SwhSnapshot } from "../lib/swh.js";

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
  /** Child creates and patches first, then the marks on controller leftovers. */
  readonly operations: readonly ChildServiceOperation[];
  readonly invalid: readonly SkippedSwh[];
  /** SWHs left alone because their namespace is being deleted. */
  readonly terminating: readonly string[];
}

/** What the planner reads: the hook's snapshots. */
export interface ChildServiceSnapshots {
  readonly swhs: readonly SwhSnapshot[];
  /** Every Service in the cluster (the planner looks up each SWH's by namespace and name). */
  readonly services: readonly ServiceSnapshot[];
  /** Namespaces being deleted; none when absent. */
  readonly terminatingNamespaces?: readonly TerminatingNamespace[];
  /** kube-controller-manager's EndpointSlices (both bindings); none when absent. */
  readonly controllerSlices?: readonly ControllerSliceSnapshot[];
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

/** True when `child` is this SWH's (controller reference), stays, and has no selector. */
export function isSelectorlessChild(swh: SwhSnapshot, child: ServiceSnapshot): boolean {
  return (
    controllerUid(child) === swh.uid &&
    child.deletionTimestamp === undefined &&
    Object.keys(child.spec.selector ?? {}).length === 0
  );
}

/**
 * Plans the writes for all SWHs given every Service in the cluster: create missing children,
 * patch children (or adoptable Services) that differ, leave everything else alone, then mark
 * what kube-controller-manager left for children that are ours and selector-less (`now` is the
 * mark's time). SWHs being deleted and SWHs in namespaces being deleted are skipped. Linear in
 * the number of SWHs, Services and controller slices.
 */
export function planChildServices(snapshots: ChildServiceSnapshots, now: Date): ChildServicePlan {
  const byKey = new Map<string, ServiceSnapshot>();
  for (const service of snapshots.services) {
    byKey.set(objectKey(service.namespace, service.name), service);
  }
  const terminatingNs = terminatingNamespaceNames(snapshots.terminatingNamespaces ?? []);
  const operations: ChildServiceOperation[] = [];
  const invalid: SkippedSwh[] = [];
  const terminating: string[] = [];
  const selectorless: SelectorlessChild[] = [];
  for (const swh of snapshots.swhs) {
    if (swh.deletionTimestamp !== undefined) continue;
    const key = objectKey(swh.namespace, swh.name);
    if (terminatingNs.has(swh.namespace)) {
      terminating.push(key);
      continue;
    }
    const problem = childServiceSpecProblem(swh.spec);
    if (problem !== undefined) {
      invalid.push({ key, reason: problem });
      continue;
    }
    const child = byKey.get(key);
    const operation = planOne(swh, child);
    if (operation !== undefined) operations.push(operation);
    if (child !== undefined && isSelectorlessChild(swh, child)) {
      const graceSeconds = leftoverGraceSeconds(swh.spec.healthcheck);
      selectorless.push({ namespace: swh.namespace, name: swh.name, uid: swh.uid, graceSeconds });
    }
  }
  operations.push(...planLeftoverMarks(selectorless, snapshots.controllerSlices ?? [], now));
  return { operations, invalid, terminating };
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
  [NAMESPACES_BINDING]: namespacesBinding(),
  [CONTROLLER_SLICES_BINDING]: controllerSlicesBinding(),
  [MIRRORED_SLICES_BINDING]: mirroredSlicesBinding(),
};

/** At most this many object names in one log line; counts are always exact. */
const LOGGED_NAMES = 10;

function logPlan(plan: ChildServicePlan, logger: HookInput["logger"]): void {
  for (const skipped of plan.invalid) {
    logger.warn("child Service not written: the API server would reject it", {
      swh: skipped.key,
      reason: skipped.reason,
    });
  }
  if (plan.terminating.length > 0) {
    logger.debug("child Services not written: their namespace is being deleted", {
      count: plan.terminating.length,
      swhs: plan.terminating.slice(0, LOGGED_NAMES),
    });
  }
  const marks = plan.operations.filter(
    (op): op is MergePatchOperation => op.operation === "MergePatch" && op.kind !== "Service",
  );
  if (marks.length > 0) {
    logger.info("marking what kube-controller-manager left for selector-less children", {
      count: marks.length,
      objects: marks.slice(0, LOGGED_NAMES).map(m => `${m.kind} ${m.namespace}/${m.name}`),
    });
  }
  const writes = plan.operations.length - marks.length;
  if (writes > 0) logger.info("child Services to write", { operations: writes });
}

/** Runs the plan on the input's snapshots and logs what it did. */
function handle(input: HookInput<typeof bindings>): void {
  const { snapshots } = input;
  const plan = planChildServices(
    {
      swhs: snapshots[SWH_BINDING],
      services: snapshots[SERVICES_BINDING],
      terminatingNamespaces: snapshots[NAMESPACES_BINDING],
      controllerSlices: [
        ...snapshots[CONTROLLER_SLICES_BINDING],
        ...snapshots[MIRRORED_SLICES_BINDING],
      ],
    },
    input.now,
  );
  input.patches.add(...plan.operations);
  logPlan(plan, input.logger);
}

/**
 * The child-service hook: SWHs, Services, terminating namespaces and kube-controller-manager's
 * slices in; child Service creates and patches, and marks on controller leftovers, out.
 */
export const childServiceHook = defineHook({ name: "child-service", kubernetes: bindings }, handle);
