// The ServiceWithHealthchecks snapshot every hook shares: a jqFilter that shrinks each SWH in the
// operator's memory (1,000 SWHs cluster-wide) and a TypeScript filter that validates the
// remainder and returns a small readonly shape. The jq output keeps the object's own layout
// (`metadata`, `spec`, `status`), so `filterSwh` accepts both the jq result and a raw object
// (what unit tests feed it).

import type { Condition, ServiceWithHealthchecksSpec } from "../../api/v1alpha1.js";
import { asNumber, asRecord, asString, asStringMap, compact } from "../../api/json-read.js";
import { decodeSwhSpec, readConditions } from "../../api/swh-decode.js";

/** Recursively readonly view of a plain-data type. */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Annotation kubectl writes with the whole last applied object: large, never needed by hooks. */
export const ANNOTATION_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** SWH spec as hooks see it: Service fields plus healthcheck, validated, readonly. */
export type SwhSpec = DeepReadonly<ServiceWithHealthchecksSpec>;

/** What hooks keep of one ServiceWithHealthchecks. */
export interface SwhSnapshot {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  /** metadata.generation (0 when the API server did not set it). */
  readonly generation: number;
  /** Set when the SWH is being deleted; hooks then leave its child objects to the GC. */
  readonly deletionTimestamp?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Annotations without kubectl's last-applied-configuration. */
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: SwhSpec;
  /** The part of status hooks compare against before writing it. */
  readonly status: {
    readonly observedGeneration?: number;
    readonly conditions: readonly Readonly<Condition>[];
  };
}

/**
 * jq object fields for the head of an object the hooks keep whole-ish (SWHs, Services):
 * apiVersion, kind, and the metadata they read - identity, deletion mark, labels, annotations
 * without kubectl's last-applied-configuration - plus the `extra` metadata fields as they are.
 * No resourceVersion or managedFields: with them, every write would change the filter result
 * and wake the hooks for nothing.
 */
export function jqObjectHead(extra: readonly string[] = []): string {
  const fields = [
    "name: .metadata.name",
    "namespace: .metadata.namespace",
    "uid: .metadata.uid",
    "deletionTimestamp: .metadata.deletionTimestamp",
    "labels: .metadata.labels",
    `annotations: ((.metadata.annotations // {}) | del(.["${ANNOTATION_LAST_APPLIED}"]))`,
    ...extra.map(field => `${field}: .metadata.${field}`),
  ];
  return `apiVersion: .apiVersion,
  kind: .kind,
  metadata: {
    ${fields.join(",\n    ")}
  }`;
}

const SWH_JQ_METADATA = `${jqObjectHead(["generation"])},
  spec: .spec`;

/**
 * jqFilter for SWH bindings: metadata the hooks use, the spec, and status conditions; drops
 * managedFields, last-applied-configuration and the per-endpoint status (the bulk of an SWH).
 */
export const SWH_JQ_FILTER = `{
  ${SWH_JQ_METADATA},
  status: {
    observedGeneration: .status.observedGeneration,
    conditions: .status.conditions
  }
}`;

/**
 * jqFilter for hooks that never read SWH status: as SWH_JQ_FILTER without `status`, so a status
 * write (the status hook's) leaves the filter result unchanged and does not wake the hook.
 */
export const SWH_SPEC_JQ_FILTER = `{
  ${SWH_JQ_METADATA}
}`;

/** Name, namespace and uid of a namespaced object, plus its metadata map for further reads. */
export interface ObjectIdentity {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly metadata: Record<string, unknown>;
}

/** Reads metadata.name/namespace; undefined when either is missing or empty. */
export function readNamespacedName(obj: unknown): { namespace: string; name: string } | undefined {
  const metadata = asRecord(asRecord(obj)?.metadata);
  const name = asString(metadata?.name);
  const namespace = asString(metadata?.namespace);
  return name === undefined || namespace === undefined ? undefined : { namespace, name };
}

/** Reads metadata.name/namespace/uid; undefined when any of them is missing or empty. */
export function readIdentity(obj: unknown): ObjectIdentity | undefined {
  const id = readNamespacedName(obj);
  const metadata = asRecord(asRecord(obj)?.metadata);
  const uid = asString(metadata?.uid);
  if (id === undefined || metadata === undefined || uid === undefined) return undefined;
  return { ...id, uid, metadata };
}

/** metadata.annotations without kubectl's last-applied-configuration. */
export function readAnnotations(metadata: Record<string, unknown>): Record<string, string> {
  return asStringMap(metadata.annotations, ANNOTATION_LAST_APPLIED);
}

/**
 * Snapshot filter for SWH bindings. Accepts the SWH_JQ_FILTER result or a raw object. Returns
 * undefined (the item is dropped) when name, namespace or uid is missing, or when `spec.type` is
 * not one the CRD allows (ExternalName is rejected at apply time, so this never drops a real SWH).
 */
export function filterSwh(obj: unknown): SwhSnapshot | undefined {
  const id = readIdentity(obj);
  const spec = decodeSwhSpec(asRecord(obj)?.spec);
  if (id === undefined || spec === undefined) return undefined;
  const statusRaw = asRecord(asRecord(obj)?.status);
  return compact<SwhSnapshot>({
    name: id.name,
    namespace: id.namespace,
    uid: id.uid,
    generation: asNumber(id.metadata.generation) ?? 0,
    deletionTimestamp: asString(id.metadata.deletionTimestamp),
    labels: asStringMap(id.metadata.labels),
    annotations: readAnnotations(id.metadata),
    spec,
    status: compact({
      observedGeneration: asNumber(statusRaw?.observedGeneration),
      conditions: readConditions(statusRaw?.conditions),
    }),
  });
}

/** `namespace/name`, the key hooks index SWHs and their children by. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
