// Snapshot filter for the node agents' EndpointSlices, with the parsed per-endpoint reports
// (also the Go implementation's legacy slices, which carry the same managed-by label).
//
// The status hook and the GC/fencing hook both bind to these objects; filtering at the edge
// keeps the operator's memory small (10,000 endpoints, 1,000 SWHs) and gives the hooks small,
// validated, readonly shapes instead of raw `unknown` JSON.
//
// The filter comes as a pair: a jq program the operator runs on the full object (the jq output
// keeps the Kubernetes object's own shape, only smaller) and a TypeScript function that validates
// that output - or the full object, which has the same shape - and returns a typed snapshot.

import {
  ANNOTATION_ENDPOINT_REPORTS,
  ANNOTATION_FENCED_AT,
  LABEL_MANAGED_BY,
  LABEL_NODE_NAME,
  LABEL_SERVICE_NAME,
  MANAGED_BY_VALUE,
  type EndpointReport,
} from "../../api/contract.js";
import { decodeReports } from "../../api/endpoint-reports.js";
import { asArray, asRecord, asString, compact, recordAt } from "../../api/json-read.js";

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
