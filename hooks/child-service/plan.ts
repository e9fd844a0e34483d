// The child-service planner: for every SWH, the child Service it should own (same name and
// namespace, no selector, the SWH's ports, type and affinity, a controller owner reference), the
// create or the merge patch that gets it there, and marks on what kube-controller-manager left
// for a Service adopted without its selector. Pure; the hook hands the operations over as they are.

import {
  type CreatePatchOperation,
  type KubeObject,
  type MergePatchOperation,
} from "shell-operator-ts-hooks";
import { SWH_API_VERSION, SWH_KIND } from "../../api/contract.js";
import {
  classifyChildService,
  controllerUid,
  isAdoptable,
  type OwnerReferenceSnapshot,
  type ServiceSnapshot,
} from "../lib/child-service-state.js";
import {
  childServiceSpecForCreate,
  childServiceSpecPatch,
  childServiceSpecProblem,
} from "./spec.js";
import { type ControllerSliceSnapshot } from "../lib/controller-leftovers.js";
import {
  leftoverGraceSeconds,
  planLeftoverMarks,
  type SelectorlessChild,
} from "../lib/leftover-marks.js";
import { childMetadataPatch, desiredChildMetadata } from "./metadata.js";
import { terminatingNamespaceNames, type TerminatingNamespace } from "../lib/namespaces.js";
import { objectKey, type SwhSnapshot } from "../lib/swh.js";

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
