// The shapes of the Kubernetes objects the agent reads and writes, as raw JSON (timestamps are
// RFC 3339 strings, exactly what list, watch and write responses carry). The agent talks to the
// API server through its own small REST layer (kube/rest.ts), so these describe the wire format,
// not @kubernetes/client-node's Date-converting model classes. Only the fields the agent uses are
// typed; everything else passes through untouched.

/** metadata of any object, as on the wire. */
export interface RawObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  creationTimestamp?: string;
  ownerReferences?: RawOwnerReference[];
}

/** metadata.ownerReferences[] entry. */
export interface RawOwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Any Kubernetes object. */
export interface RawObject {
  apiVersion?: string;
  kind?: string;
  metadata?: RawObjectMeta;
}

/** A list response (`kind: ...List`). */
export interface RawList<T = unknown> {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

/** core/v1 Pod, reduced to what candidate selection and port resolution read. */
export interface RawPod extends RawObject {
  spec?: {
    nodeName?: string;
    containers?: RawContainer[];
    initContainers?: RawContainer[];
  };
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: Array<{ ip?: string }>;
    startTime?: string;
    conditions?: Array<{ type?: string; status?: string }>;
  };
}

/** A container of a Pod: its declared ports (for named targetPorts). */
export interface RawContainer {
  name?: string;
  restartPolicy?: string;
  ports?: Array<{ name?: string; containerPort?: number; protocol?: string }>;
}

/** core/v1 Secret (only `data`, base64-encoded, is read). */
export interface RawSecret extends RawObject {
  type?: string;
  data?: Record<string, string>;
}

/** discovery.k8s.io/v1 EndpointSlice endpoint. */
export interface RawEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  nodeName?: string;
  zone?: string;
  /** Topology hints: kube-proxy prefers endpoints hinted for its zone or node. */
  hints?: { forZones?: { name: string }[]; forNodes?: { name: string }[] };
  hostname?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
}

/** discovery.k8s.io/v1 EndpointSlice port. */
export interface RawEndpointPort {
  name?: string;
  protocol?: string;
  port?: number;
  appProtocol?: string;
}

/** discovery.k8s.io/v1 EndpointSlice. */
export interface RawEndpointSlice extends RawObject {
  addressType: "IPv4" | "IPv6" | "FQDN";
  endpoints?: RawEndpoint[] | null;
  ports?: RawEndpointPort[] | null;
}

/** coordination.k8s.io/v1 Lease. */
export interface RawLease extends RawObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** A `Status` object, as returned with API errors and in watch ERROR events. */
export interface RawStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
}

/** `namespace/name` of an object (or just `name` when cluster-scoped). */
export function objectKey(obj: RawObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? "";
  return ns ? `${ns}/${name}` : name;
}

/** True when `value` is a non-null, non-array object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
