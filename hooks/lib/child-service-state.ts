// The Service snapshot (jqFilter + TS filter) and the one rule that says what state an SWH's
// child Service is in. Two hooks need the same answer: the child-service hook (whether it may
// write the Service) and the status hook (the ChildServiceReady condition); keeping the rule
// here means they can never disagree.

import { ANNOTATION_ALLOW_ADOPTION, SWH_KIND } from "../../api/contract.js";
import type { LoadBalancerIngress, ServiceWithHealthchecksSpec } from "../../api/v1alpha1.js";
import { asBoolean, asRecord, asString, asStringMap, compact } from "../../api/json-read.js";
import {
  jqObjectHead,
  readAnnotations,
  readIdentity,
  type DeepReadonly,
  type SwhSnapshot,
} from "./swh.js";
import { readServiceSpecFields } from "../../api/swh-decode.js";

/**
 * The SWH fields the classification reads: identity and the spec fields of immutable Service
 * fields. The shared SwhSnapshot has them, and so does the status hook's smaller snapshot.
 */
export type ClassifiedSwh = Pick<SwhSnapshot, "name" | "namespace" | "uid"> & {
  readonly spec: Pick<
    SwhSnapshot["spec"],
    "type" | "clusterIP" | "clusterIPs" | "ipFamilies" | "loadBalancerClass"
  >;
};

/** An entry of metadata.ownerReferences. */
export interface OwnerReferenceSnapshot {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

/** The Service spec fields hooks manage or compare; `type` may be any Service type. */
export type ServiceSpecSnapshot = DeepReadonly<
  Omit<ServiceWithHealthchecksSpec, "healthcheck" | "type"> & { type?: string }
>;

/** What hooks keep of one Service. */
export interface ServiceSnapshot {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly deletionTimestamp?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Annotations without kubectl's last-applied-configuration. */
  readonly annotations: Readonly<Record<string, string>>;
  readonly ownerReferences: readonly OwnerReferenceSnapshot[];
  readonly spec: ServiceSpecSnapshot;
  /** status.loadBalancer.ingress (empty when none). */
  readonly loadBalancerIngress: readonly DeepReadonly<LoadBalancerIngress>[];
}

const SERVICE_JQ_BODY = `${jqObjectHead(["ownerReferences"])},
  spec: (.spec // {} | {
    type, selector, ports, clusterIP, clusterIPs, ipFamilies, ipFamilyPolicy,
    sessionAffinity, sessionAffinityConfig, externalTrafficPolicy, internalTrafficPolicy,
    externalIPs, loadBalancerIP, loadBalancerSourceRanges, loadBalancerClass,
    allocateLoadBalancerNodePorts, healthCheckNodePort, publishNotReadyAddresses,
    trafficDistribution
  })`;

/**
 * jqFilter for Service bindings (all namespaces). Keeps the metadata and spec fields the hooks
 * manage and status.loadBalancer. No resourceVersion on purpose: with it, every write to any
 * Service would change the filter result and wake the hooks for nothing.
 */
export const SERVICE_JQ_FILTER = `{
  ${SERVICE_JQ_BODY},
  status: { loadBalancer: .status.loadBalancer }
}`;

/**
 * jq condition: the Service is controlled by an SWH, or asks to be adopted by one. Only such
 * Services are child Services (or may become one); any other Service matters to the hooks only
 * by its identity and controller (a same-named one is a conflict), and in a large cluster those
 * are nearly all Services, so their snapshot is cut to that (bench/hooks: the child-service
 * context shrank from 126 to a fraction of it at 10,000 SWHs among 100,000 other Services).
 */
export const SERVICE_MAY_BE_CHILD_JQ = `(
  ([(.metadata.ownerReferences // [])[] | select(.controller == true and .kind == "${SWH_KIND}")]
    | length > 0)
  or ((.metadata.annotations // {})["${ANNOTATION_ALLOW_ADOPTION}"] == "true")
)`;

/** What the hooks keep of any other Service: identity and owners (filterService reads it). */
export const SERVICE_IDENTITY_JQ = `{
  apiVersion: .apiVersion,
  kind: .kind,
  metadata: (.metadata | {name, namespace, uid, deletionTimestamp, ownerReferences})
}`;

/**
 * As SERVICE_JQ_FILTER without status, for hooks that never read a Service's status; Services
 * that cannot be a child are cut to SERVICE_IDENTITY_JQ.
 */
export const SERVICE_SPEC_JQ_FILTER = `if ${SERVICE_MAY_BE_CHILD_JQ} then {
  ${SERVICE_JQ_BODY}
} else ${SERVICE_IDENTITY_JQ} end`;

function readOwnerReference(value: unknown): OwnerReferenceSnapshot | undefined {
  const raw = asRecord(value);
  const uid = asString(raw?.uid);
  if (raw === undefined || uid === undefined) return undefined;
  return compact<OwnerReferenceSnapshot>({
    apiVersion: asString(raw.apiVersion) ?? "",
    kind: asString(raw.kind) ?? "",
    name: asString(raw.name) ?? "",
    uid,
    controller: asBoolean(raw.controller),
    blockOwnerDeletion: asBoolean(raw.blockOwnerDeletion),
  });
}

function readIngress(value: unknown): LoadBalancerIngress[] {
  const ingress = asRecord(asRecord(value)?.loadBalancer)?.ingress;
  if (!Array.isArray(ingress)) return [];
  return ingress
    .map(asRecord)
    .filter((i): i is Record<string, unknown> => i !== undefined)
    .map(i => structuredClone(i) as LoadBalancerIngress);
}

/**
 * Snapshot filter for Service bindings. Accepts the SERVICE_JQ_FILTER result or a raw Service;
 * returns undefined when name, namespace or uid is missing.
 */
export function filterService(obj: unknown): ServiceSnapshot | undefined {
  const id = readIdentity(obj);
  if (id === undefined) return undefined;
  const raw = asRecord(obj);
  const owners = Array.isArray(id.metadata.ownerReferences) ? id.metadata.ownerReferences : [];
  return compact<ServiceSnapshot>({
    name: id.name,
    namespace: id.namespace,
    uid: id.uid,
    deletionTimestamp: asString(id.metadata.deletionTimestamp),
    labels: asStringMap(id.metadata.labels),
    annotations: readAnnotations(id.metadata),
    ownerReferences: owners
      .map(readOwnerReference)
      .filter((o): o is OwnerReferenceSnapshot => o !== undefined),
    spec: readServiceSpecFields(asRecord(raw?.spec) ?? {}),
    loadBalancerIngress: readIngress(raw?.status),
  });
}

/** UID of the Service's controller owner (ownerReferences[].controller == true), if any. */
export function controllerUid(service: ServiceSnapshot): string | undefined {
  return service.ownerReferences.find(o => o.controller === true)?.uid;
}

/** True when the Service has no controller owner and opts in to adoption by annotation. */
export function isAdoptable(service: ServiceSnapshot): boolean {
  return (
    controllerUid(service) === undefined &&
    service.annotations[ANNOTATION_ALLOW_ADOPTION] === "true"
  );
}

/** One immutable Service field that the SWH asks to change. */
export interface ImmutableFieldChange {
  /** Field path, e.g. `spec.clusterIP`. */
  readonly field: string;
  readonly current: string;
  readonly wanted: string;
}

/** A change of `field` when both sides set it and they differ (an unset side is no change). */
function setFieldChange(
  field: string,
  have: string | undefined,
  wanted: string | undefined,
): ImmutableFieldChange | undefined {
  if (wanted === undefined || have === undefined || wanted === have) return undefined;
  return { field, current: have, wanted };
}

function clusterIPChange(
  spec: ClassifiedSwh["spec"],
  current: ServiceSpecSnapshot,
): ImmutableFieldChange | undefined {
  const wanted = spec.clusterIP ?? spec.clusterIPs?.[0];
  return setFieldChange("spec.clusterIP", current.clusterIP, wanted);
}

function ipFamilyChange(
  spec: ClassifiedSwh["spec"],
  current: ServiceSpecSnapshot,
): ImmutableFieldChange | undefined {
  return setFieldChange("spec.ipFamilies[0]", current.ipFamilies?.[0], spec.ipFamilies?.[0]);
}

function loadBalancerClassChange(
  spec: ClassifiedSwh["spec"],
  current: ServiceSpecSnapshot,
): ImmutableFieldChange | undefined {
  // The API server forbids changing loadBalancerClass while the Service stays a LoadBalancer.
  if (spec.type !== "LoadBalancer" || current.type !== "LoadBalancer") return undefined;
  const wanted = spec.loadBalancerClass ?? "";
  const have = current.loadBalancerClass ?? "";
  if (wanted === have) return undefined;
  return {
    field: "spec.loadBalancerClass",
    current: have || "<unset>",
    wanted: wanted || "<unset>",
  };
}

/**
 * Immutable fields of the existing Service that differ from what the SWH asks for: the cluster
 * IP, the primary IP family, and loadBalancerClass of a LoadBalancer. A write would be rejected
 * by the API server (and fail the whole hook run), so such a Service is left alone.
 */
export function immutableFieldChanges(
  swh: ClassifiedSwh,
  service: ServiceSnapshot,
): ImmutableFieldChange[] {
  return [
    clusterIPChange(swh.spec, service.spec),
    ipFamilyChange(swh.spec, service.spec),
    loadBalancerClassChange(swh.spec, service.spec),
  ].filter((c): c is ImmutableFieldChange => c !== undefined);
}

/** State of an SWH's child Service, as the ChildServiceReady condition reports it. */
export type ChildServiceState = "Ready" | "Missing" | "Conflict" | "ClusterIPImmutable";

/** A state plus a human-readable message naming the Service and, when needed, the fix. */
export interface ChildServiceClassification {
  readonly state: ChildServiceState;
  readonly message: string;
}

function describeImmutable(key: string, changes: readonly ImmutableFieldChange[]): string {
  const parts = changes.map(c => `${c.field} is ${c.current} and cannot change to ${c.wanted}`);
  return (
    `Service ${key}: ${parts.join("; ")} (immutable). ` +
    "Delete the Service to have it recreated, or revert the ServiceWithHealthchecks spec."
  );
}

/**
 * Classifies the Service named like the SWH:
 * - Missing: no such Service yet, it is being deleted, or it is about to be adopted;
 * - Conflict: a Service not controlled by this SWH (by UID) that may not be adopted;
 * - ClusterIPImmutable: ours (or adoptable), but an immutable field differs from the SWH spec;
 * - Ready: controlled by this SWH.
 */
export function classifyChildService(
  swh: ClassifiedSwh,
  service: ServiceSnapshot | undefined,
): ChildServiceClassification {
  const key = `${swh.namespace}/${swh.name}`;
  if (service === undefined) {
    return { state: "Missing", message: `Service ${key} does not exist yet.` };
  }
  const controller = controllerUid(service);
  const ours = controller === swh.uid;
  if (!ours && !isAdoptable(service)) {
    const owner = service.ownerReferences.find(o => o.controller === true);
    const by =
      owner === undefined ? "has no controller" : `is controlled by ${owner.kind} ${owner.name}`;
    return {
      state: "Conflict",
      message:
        `Service ${key} already exists and ${by}; it is left untouched. Delete or rename it, or ` +
        `annotate it ${ANNOTATION_ALLOW_ADOPTION}="true" (no controller owner) to let this ` +
        "ServiceWithHealthchecks adopt it.",
    };
  }
  if (service.deletionTimestamp !== undefined) {
    return { state: "Missing", message: `Service ${key} is being deleted; it will be recreated.` };
  }
  const changes = immutableFieldChanges(swh, service);
  if (changes.length > 0) {
    return { state: "ClusterIPImmutable", message: describeImmutable(key, changes) };
  }
  if (!ours) {
    return {
      state: "Missing",
      message: `Service ${key} is being adopted (${ANNOTATION_ALLOW_ADOPTION}).`,
    };
  }
  return {
    state: "Ready",
    message: `Service ${key} is controlled by this ServiceWithHealthchecks.`,
  };
}
