// Snapshot filters for the objects the node agents leave in the cluster: their EndpointSlices
// (with the parsed per-endpoint reports; also the Go implementation's legacy slices, which carry
// the same managed-by label), their heartbeat Leases, and the Nodes they run on.
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
  ANNOTATION_SILENT_SINCE,
  LABEL_MANAGED_BY,
  LABEL_NODE_NAME,
  LABEL_SERVICE_NAME,
  MANAGED_BY_VALUE,
  nodeLabelValue,
  type EndpointReport,
} from "../../api/contract.js";
import { decodeReports } from "../../api/endpoint-reports.js";
import { asArray, asNumber, asRecord, asString, compact, recordAt } from "../../api/json-read.js";

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
  /**
   * The agent's node: label `network.deckhouse.io/node-name` (the node name, bounded to 63
   * characters by `nodeLabelValue`), else the endpoints' one node. Compare it with node names
   * through `nodeLabelValue` only.
   */
  readonly nodeName?: string;
  /** `endpointslice.kubernetes.io/managed-by`. */
  readonly managedBy?: string;
  /**
   * True for a slice of the Go implementation's agent: managed by `servicewithhealthchecks` but
   * without the node-name label (named `<swh>-<node>`, one per SWH and node). Our agents do not
   * watch such slices; the GC hook hands them over (see hooks/endpointslice-gc/legacy-slices.ts).
   */
  readonly legacy: boolean;
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
  /** `spec.acquireTime` in epoch milliseconds: since when this holder has held the Lease. */
  readonly acquireTimeMs?: number;
  /** ANNOTATION_SILENT_SINCE in epoch milliseconds: the agent came back at acquireTime after
   *  missing the renewals due since then. */
  readonly silentSinceMs?: number;
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

/** jq program for agent Leases: holder, renew and acquire times, duration, silence start. */
export const LEASE_JQ_FILTER = `{
  metadata: {
    name: .metadata.name,
    namespace: .metadata.namespace,
    labels: ((.metadata.labels // {}) | with_entries(select(.key == "${LABEL_NODE_NAME}"))),
    annotations: ((.metadata.annotations // {}) | with_entries(select(.key == "${ANNOTATION_SILENT_SINCE}")))
  },
  spec: {
    holderIdentity: .spec.holderIdentity,
    renewTime: .spec.renewTime,
    acquireTime: .spec.acquireTime,
    leaseDurationSeconds: .spec.leaseDurationSeconds
  }
}`;

/** jq program keeping only name, namespace and uid (Nodes; SWHs where only identity matters). */
export const OBJECT_IDENTITY_JQ_FILTER = `{
  metadata: {name: .metadata.name, namespace: .metadata.namespace, uid: .metadata.uid}
}`;

/** `true` when `value` is a boolean true; `fallback` when it is not a boolean at all. */
function boolOr(value: unknown, fallback: boolean): boolean {
  return typeof value === "boolean" ? value : fallback;
}

function parseEndpoint(value: unknown): SliceEndpoint | undefined {
  const raw = asRecord(value);
  if (raw === undefined) return undefined;
  const conditions = recordAt(raw, "conditions");
  const addresses = asArray(raw.addresses).filter(
    (a): a is string => typeof a === "string" && a !== "",
  );
  return compact<SliceEndpoint>({
    addresses,
    ready: boolOr(conditions.ready, true),
    serving: boolOr(conditions.serving, true),
    terminating: boolOr(conditions.terminating, false),
    nodeName: asString(raw.nodeName),
    podName: asString(recordAt(raw, "targetRef").name),
  });
}

function parseOwner(value: unknown): SliceOwner | undefined {
  const raw = asRecord(value);
  const uid = asString(raw?.uid);
  if (raw === undefined || uid === undefined) return undefined;
  return {
    uid,
    kind: asString(raw.kind) ?? "",
    name: asString(raw.name) ?? "",
    controller: raw.controller === true,
  };
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
  const metadata = recordAt(obj, "metadata");
  const name = asString(metadata.name);
  const namespace = asString(metadata.namespace);
  if (name === undefined || namespace === undefined) return undefined;
  const labels = recordAt(metadata, "labels");
  const annotations = recordAt(metadata, "annotations");
  const endpoints = asArray(asRecord(obj)?.endpoints)
    .map(parseEndpoint)
    .filter((e): e is SliceEndpoint => e !== undefined);
  const owners = asArray(metadata.ownerReferences)
    .map(parseOwner)
    .filter((o): o is SliceOwner => o !== undefined);
  const parsed = decodeReports(asString(annotations[ANNOTATION_ENDPOINT_REPORTS]));
  const nodeLabel = asString(labels[LABEL_NODE_NAME]);
  const managedBy = asString(labels[LABEL_MANAGED_BY]);
  return compact<EndpointSliceSnapshot>({
    name,
    namespace,
    serviceName: asString(labels[LABEL_SERVICE_NAME]),
    nodeName: nodeLabel ?? commonNodeName(endpoints),
    managedBy,
    legacy: managedBy === MANAGED_BY_VALUE && nodeLabel === undefined,
    owners,
    endpoints,
    reports: parsed.reports,
    reportsError: parsed.error,
    fencedAt: asString(annotations[ANNOTATION_FENCED_AT]),
  });
}

/**
 * Validates an agent Lease (full object or `LEASE_JQ_FILTER` output); undefined without a name.
 */
export function filterLease(obj: unknown): LeaseSnapshot | undefined {
  const metadata = recordAt(obj, "metadata");
  const name = asString(metadata.name);
  if (name === undefined) return undefined;
  const spec = recordAt(obj, "spec");
  return compact<LeaseSnapshot>({
    name,
    namespace: asString(metadata.namespace) ?? "",
    nodeName:
      asString(spec.holderIdentity) ?? asString(recordAt(metadata, "labels")[LABEL_NODE_NAME]),
    renewTimeMs: timeMs(spec.renewTime),
    leaseDurationSeconds: asNumber(spec.leaseDurationSeconds),
    acquireTimeMs: timeMs(spec.acquireTime),
    silentSinceMs: timeMs(recordAt(metadata, "annotations")[ANNOTATION_SILENT_SINCE]),
  });
}

/** An RFC 3339 time (MicroTime too) in epoch milliseconds; undefined when absent or invalid. */
function timeMs(value: unknown): number | undefined {
  const text = asString(value);
  const ms = text === undefined ? Number.NaN : Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Validates any object's identity (full object or `OBJECT_IDENTITY_JQ_FILTER` output);
 * undefined without a name.
 */
export function filterObjectIdentity(obj: unknown): ObjectIdentity | undefined {
  const metadata = recordAt(obj, "metadata");
  const name = asString(metadata.name);
  if (name === undefined) return undefined;
  return compact<ObjectIdentity>({
    name,
    namespace: asString(metadata.namespace) ?? "",
    uid: asString(metadata.uid),
  });
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

/** What the hooks know of one node's agent from its heartbeat Lease. */
export interface AgentHeartbeat {
  /** When the Lease expires (epoch ms); `-Infinity` when it was never renewed. */
  readonly expiresAtMs: number;
  /** Since when the agent has held the Lease (epoch ms), when the Lease says so. */
  readonly acquiredAtMs?: number;
  /** With `acquiredAtMs`: the agent was silent from here until it came back then (epoch ms). */
  readonly silentSinceMs?: number;
  /** How long the Lease is valid without renewal (ms). */
  readonly durationMs: number;
}

/**
 * The freshest Lease per node (a node normally has one; if a rename left two, the one that
 * expires last wins), keyed by `nodeLabelValue(holder)` so that a 64+ character node name, its
 * slices' node-name label and its Lease all meet on one key.
 */
export function agentHeartbeatsByNode(
  leases: readonly LeaseSnapshot[],
): ReadonlyMap<string, AgentHeartbeat> {
  const byNode = new Map<string, AgentHeartbeat>();
  for (const lease of leases) {
    if (lease.nodeName === undefined) continue;
    const key = nodeLabelValue(lease.nodeName);
    const expiresAtMs = leaseExpiresAtMs(lease) ?? Number.NEGATIVE_INFINITY;
    const seen = byNode.get(key);
    if (seen !== undefined && seen.expiresAtMs >= expiresAtMs) continue;
    const durationMs = (lease.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS) * 1000;
    byNode.set(
      key,
      compact<AgentHeartbeat>({
        expiresAtMs,
        acquiredAtMs: lease.acquireTimeMs,
        silentSinceMs: lease.silentSinceMs,
        durationMs,
      }),
    );
  }
  return byNode;
}
