// Snapshot filters for the objects the node agents leave in the cluster: their EndpointSlices
// (with the parsed per-endpoint reports), their heartbeat Leases, and the Nodes they run on.
// The status hook and the GC/fencing hook both bind to these objects; filtering at the edge
// keeps the operator's memory small (10,000 endpoints, 1,000 SWHs) and gives the hooks small,
// validated, readonly shapes instead of raw `unknown` JSON.
//
// Each filter comes as a pair: a jq program the operator runs on the full object (the jq output
// keeps the Kubernetes object's own shape, only smaller) and a TypeScript function that validates
// that output - or the full object, which has the same shape - and returns a typed snapshot.

import {
  ANNOTATION_ENDPOINT_REPORTS,
  ANNOTATION_FENCED_AT,
  LABEL_MANAGED_BY,
  LABEL_NODE_NAME,
  LABEL_SERVICE_NAME,
  type EndpointReport,
  type ProbeFailure,
} from "../../api/contract.js";

/** One endpoint of an agent EndpointSlice, reduced to what the hooks read. */
export interface SliceEndpoint {
  /** The endpoint's addresses (one per endpoint in practice: the pod IP of the slice's family). */
  readonly addresses: readonly string[];
  /** `conditions.ready`; absent means unknown, which Kubernetes says to treat as ready. */
  readonly ready: boolean;
  /** `conditions.serving`; absent means unknown, treated as serving. */
  readonly serving: boolean;
  /** `conditions.terminating`; absent means false. */
  readonly terminating: boolean;
  /** Node that runs the pod. */
  readonly nodeName?: string;
  /** Pod name (`targetRef.name`). */
  readonly podName?: string;
}

/** Owner reference of a slice, reduced to the fields GC matches on. */
export interface SliceOwner {
  readonly uid: string;
  readonly kind: string;
  readonly name: string;
  readonly controller: boolean;
}

/** An agent EndpointSlice as the status and GC/fencing hooks see it. */
export interface EndpointSliceSnapshot {
  readonly name: string;
  readonly namespace: string;
  /** `kubernetes.io/service-name`: the SWH (and child Service) the slice belongs to. */
  readonly serviceName?: string;
  /** The agent's node: label `network.deckhouse.io/node-name`, else the endpoints' one node. */
  readonly nodeName?: string;
  /** `endpointslice.kubernetes.io/managed-by`. */
  readonly managedBy?: string;
  readonly owners: readonly SliceOwner[];
  readonly endpoints: readonly SliceEndpoint[];
  /** Parsed `network.deckhouse.io/endpoint-reports`; empty when absent or unreadable. */
  readonly reports: readonly EndpointReport[];
  /** Why the reports annotation could not be read, when it was present but invalid. */
  readonly reportsError?: string;
  /** `network.deckhouse.io/fenced-at` (RFC 3339), set by the fencing hook. */
  readonly fencedAt?: string;
}

/** An agent heartbeat Lease. */
export interface LeaseSnapshot {
  readonly name: string;
  readonly namespace: string;
  /** The node whose agent holds the Lease: `spec.holderIdentity`, else the node-name label. */
  readonly nodeName?: string;
  /** `spec.renewTime` in epoch milliseconds; undefined when absent or unparsable. */
  readonly renewTimeMs?: number;
  /** `spec.leaseDurationSeconds`; undefined when absent. */
  readonly leaseDurationSeconds?: number;
}

/** Name, namespace and uid of any object: enough for Nodes and for GC's view of SWHs. */
export interface ObjectIdentity {
  readonly name: string;
  /** Empty string for cluster-scoped objects. */
  readonly namespace: string;
  readonly uid?: string;
}

/**
 * Lease duration assumed when a Lease carries none; the kubelet's node-lease default. The agent
 * always sets it, so this only matters for hand-made Leases.
 */
export const DEFAULT_LEASE_DURATION_SECONDS = 40;

/**
 * jq program for agent EndpointSlices: labels and annotations the hooks read, owners, and per
 * endpoint only addresses, conditions, nodeName and targetRef.name. Its output keeps the
 * object's shape, so `filterEndpointSlice` accepts both it and a full object.
 */
export const ENDPOINT_SLICE_JQ_FILTER = `{
  metadata: {
    name: .metadata.name,
    namespace: .metadata.namespace,
    labels: ((.metadata.labels // {}) | with_entries(select(.key == "${LABEL_SERVICE_NAME}" or .key == "${LABEL_NODE_NAME}" or .key == "${LABEL_MANAGED_BY}"))),
    annotations: ((.metadata.annotations // {}) | with_entries(select(.key == "${ANNOTATION_ENDPOINT_REPORTS}" or .key == "${ANNOTATION_FENCED_AT}"))),
    ownerReferences: [(.metadata.ownerReferences // [])[] | {uid, kind, name, controller}]
  },
  endpoints: [(.endpoints // [])[] | {addresses, conditions, nodeName, targetRef: {name: .targetRef.name}}]
}`;

/** jq program for agent Leases: holder, renew time and duration only. */
export const LEASE_JQ_FILTER = `{
  metadata: {
    name: .metadata.name,
    namespace: .metadata.namespace,
    labels: ((.metadata.labels // {}) | with_entries(select(.key == "${LABEL_NODE_NAME}")))
  },
  spec: {
    holderIdentity: .spec.holderIdentity,
    renewTime: .spec.renewTime,
    leaseDurationSeconds: .spec.leaseDurationSeconds
  }
}`;

/** jq program keeping only name, namespace and uid (Nodes; SWHs where only identity matters). */
export const OBJECT_IDENTITY_JQ_FILTER = `{
  metadata: {name: .metadata.name, namespace: .metadata.namespace, uid: .metadata.uid}
}`;

type JsonObject = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, key: string): JsonObject {
  if (!isObject(value)) return {};
  const inner = value[key];
  return isObject(inner) ? inner : {};
}

function stringAt(value: JsonObject, key: string): string | undefined {
  const inner = value[key];
  return typeof inner === "string" && inner !== "" ? inner : undefined;
}

function arrayAt(value: JsonObject, key: string): readonly unknown[] {
  const inner = value[key];
  return Array.isArray(inner) ? inner : [];
}

/** `true` when `value` is a boolean true; `fallback` when it is not a boolean at all. */
function boolOr(value: unknown, fallback: boolean): boolean {
  return typeof value === "boolean" ? value : fallback;
}

function parseEndpoint(raw: unknown): SliceEndpoint | undefined {
  if (!isObject(raw)) return undefined;
  const conditions = objectAt(raw, "conditions");
  const addresses = arrayAt(raw, "addresses").filter(
    (a): a is string => typeof a === "string" && a !== "",
  );
  const nodeName = stringAt(raw, "nodeName");
  const podName = stringAt(objectAt(raw, "targetRef"), "name");
  return {
    addresses,
    ready: boolOr(conditions.ready, true),
    serving: boolOr(conditions.serving, true),
    terminating: boolOr(conditions.terminating, false),
    ...(nodeName === undefined ? {} : { nodeName }),
    ...(podName === undefined ? {} : { podName }),
  };
}

function parseOwner(raw: unknown): SliceOwner | undefined {
  if (!isObject(raw)) return undefined;
  const uid = stringAt(raw, "uid");
  if (uid === undefined) return undefined;
  return {
    uid,
    kind: stringAt(raw, "kind") ?? "",
    name: stringAt(raw, "name") ?? "",
    controller: raw.controller === true,
  };
}

function parseFailure(raw: unknown): ProbeFailure | undefined {
  if (!isObject(raw)) return undefined;
  const probe = stringAt(raw, "probe");
  if (probe === undefined) return undefined;
  return { probe, reason: typeof raw.reason === "string" ? raw.reason : "" };
}

function parseReport(raw: unknown): EndpointReport | undefined {
  if (!isObject(raw)) return undefined;
  const pod = stringAt(raw, "pod");
  const address = stringAt(raw, "address");
  if (pod === undefined || address === undefined || typeof raw.ready !== "boolean") {
    return undefined;
  }
  const failedProbes = arrayAt(raw, "failedProbes")
    .map(parseFailure)
    .filter((f): f is ProbeFailure => f !== undefined);
  const lastTransitionTime = stringAt(raw, "lastTransitionTime");
  const lastProbeTime = stringAt(raw, "lastProbeTime");
  return {
    pod,
    address,
    ready: raw.ready,
    failedProbes,
    ...(lastTransitionTime === undefined ? {} : { lastTransitionTime }),
    ...(lastProbeTime === undefined ? {} : { lastProbeTime }),
  };
}

/** Result of reading the endpoint-reports annotation: the valid reports, or why none could be. */
export interface ParsedReports {
  readonly reports: readonly EndpointReport[];
  readonly error?: string;
}

/**
 * Parses the `network.deckhouse.io/endpoint-reports` annotation. Invalid entries are dropped;
 * text that is not a JSON array yields no reports and an error message (never an exception:
 * one bad annotation must not fail a hook run for every SWH).
 */
export function parseEndpointReports(text: string | undefined): ParsedReports {
  if (text === undefined) return { reports: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { reports: [], error: `annotation is not JSON: ${(err as Error).message}` };
  }
  if (!Array.isArray(parsed)) return { reports: [], error: "annotation is not a JSON array" };
  const reports = parsed.map(parseReport).filter((r): r is EndpointReport => r !== undefined);
  const dropped = parsed.length - reports.length;
  return dropped === 0 ? { reports } : { reports, error: `${dropped} invalid report(s) ignored` };
}

/** The one node all endpoints name, or undefined when they name none or several. */
function commonNodeName(endpoints: readonly SliceEndpoint[]): string | undefined {
  const names = new Set(endpoints.map(e => e.nodeName).filter(n => n !== undefined));
  return names.size === 1 ? [...names][0] : undefined;
}

/**
 * Validates an agent EndpointSlice (full object or `ENDPOINT_SLICE_JQ_FILTER` output) and returns
 * its snapshot; undefined when it has no name or namespace (not a usable slice).
 */
export function filterEndpointSlice(obj: unknown): EndpointSliceSnapshot | undefined {
  const metadata = objectAt(obj, "metadata");
  const name = stringAt(metadata, "name");
  const namespace = stringAt(metadata, "namespace");
  if (name === undefined || namespace === undefined) return undefined;
  const labels = objectAt(metadata, "labels");
  const annotations = objectAt(metadata, "annotations");
  const endpoints = arrayAt(isObject(obj) ? obj : {}, "endpoints")
    .map(parseEndpoint)
    .filter((e): e is SliceEndpoint => e !== undefined);
  const owners = arrayAt(metadata, "ownerReferences")
    .map(parseOwner)
    .filter((o): o is SliceOwner => o !== undefined);
  const parsed = parseEndpointReports(stringAt(annotations, ANNOTATION_ENDPOINT_REPORTS));
  const optional = {
    serviceName: stringAt(labels, LABEL_SERVICE_NAME),
    nodeName: stringAt(labels, LABEL_NODE_NAME) ?? commonNodeName(endpoints),
    managedBy: stringAt(labels, LABEL_MANAGED_BY),
    reportsError: parsed.error,
    fencedAt: stringAt(annotations, ANNOTATION_FENCED_AT),
  };
  return {
    name,
    namespace,
    owners,
    endpoints,
    reports: parsed.reports,
    ...dropUndefined(optional),
  };
}

/**
 * Validates an agent Lease (full object or `LEASE_JQ_FILTER` output); undefined without a name.
 */
export function filterLease(obj: unknown): LeaseSnapshot | undefined {
  const metadata = objectAt(obj, "metadata");
  const name = stringAt(metadata, "name");
  if (name === undefined) return undefined;
  const spec = objectAt(obj, "spec");
  const renewTime = stringAt(spec, "renewTime");
  const renewTimeMs = renewTime === undefined ? Number.NaN : Date.parse(renewTime);
  const duration = spec.leaseDurationSeconds;
  const optional = {
    nodeName:
      stringAt(spec, "holderIdentity") ?? stringAt(objectAt(metadata, "labels"), LABEL_NODE_NAME),
    renewTimeMs: Number.isFinite(renewTimeMs) ? renewTimeMs : undefined,
    leaseDurationSeconds:
      typeof duration === "number" && Number.isFinite(duration) ? duration : undefined,
  };
  return { name, namespace: stringAt(metadata, "namespace") ?? "", ...dropUndefined(optional) };
}

/**
 * Validates any object's identity (full object or `OBJECT_IDENTITY_JQ_FILTER` output);
 * undefined without a name.
 */
export function filterObjectIdentity(obj: unknown): ObjectIdentity | undefined {
  const metadata = objectAt(obj, "metadata");
  const name = stringAt(metadata, "name");
  if (name === undefined) return undefined;
  const uid = stringAt(metadata, "uid");
  return {
    name,
    namespace: stringAt(metadata, "namespace") ?? "",
    ...(uid === undefined ? {} : { uid }),
  };
}

/**
 * Epoch milliseconds at which a Lease expires (`renewTime + leaseDurationSeconds`), or undefined
 * when it was never renewed (such a Lease is as good as expired).
 */
export function leaseExpiresAtMs(lease: LeaseSnapshot): number | undefined {
  if (lease.renewTimeMs === undefined) return undefined;
  const duration = lease.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS;
  return lease.renewTimeMs + duration * 1000;
}

/**
 * Latest expiry per node over all Leases (a node normally has one; if a rename left two, the
 * fresher one wins). Nodes whose Leases were never renewed map to `-Infinity`.
 */
export function leaseExpiryByNode(leases: readonly LeaseSnapshot[]): ReadonlyMap<string, number> {
  const byNode = new Map<string, number>();
  for (const lease of leases) {
    if (lease.nodeName === undefined) continue;
    const expiresAt = leaseExpiresAtMs(lease) ?? Number.NEGATIVE_INFINITY;
    byNode.set(lease.nodeName, Math.max(byNode.get(lease.nodeName) ?? expiresAt, expiresAt));
  }
  return byNode;
}

/** Copies `values` without the keys whose value is undefined (for exact optional fields). */
function dropUndefined<T extends Record<string, unknown>>(
  values: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) out[key] = value;
  }
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
