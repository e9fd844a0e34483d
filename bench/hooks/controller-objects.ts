// What kube-controller-manager publishes for a Service, as the API server returns it, for the
// hook-scaling benchmark: the endpointslice controller's EndpointSlice of a Service with a
// selector, the endpoints controller's Endpoints object, and the endpointslice mirroring
// controller's copy of that Endpoints object (made only once the Service has no selector: an
// adopted Service). Label keys and values are written out as Kubernetes (v1.33 and later) writes
// them, not taken from the hooks, so a wrong constant in the hooks would show up here as a
// binding that selects nothing. Pure.

import { LABEL_MANAGED_BY, LABEL_SERVICE_NAME } from "../../api/contract.js";
import { FIXED_TIME, type KubeObject } from "./objects.js";

/** `endpointslice.kubernetes.io/managed-by` of the endpointslice controller's slices. */
export const ENDPOINTSLICE_CONTROLLER = "endpointslice-controller.k8s.io";
/** `endpointslice.kubernetes.io/managed-by` of the mirroring controller's slices. */
export const MIRRORING_CONTROLLER = "endpointslicemirroring-controller.k8s.io";
/** Label the endpoints controller puts on the Endpoints objects it makes. */
export const LABEL_ENDPOINTS_MANAGED_BY = "endpoints.kubernetes.io/managed-by";
/** Value of LABEL_ENDPOINTS_MANAGED_BY written by the endpoints controller. */
export const ENDPOINTS_CONTROLLER = "endpoint-controller";
/** Annotation both controllers set on what they publish. */
export const ANNOTATION_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";
/** Annotations the mirroring controller does not copy from the Endpoints object. */
const NOT_MIRRORED_ANNOTATIONS = [
  ANNOTATION_TRIGGER_TIME,
  "kubectl.kubernetes.io/last-applied-configuration",
];
/** Label the mirroring controller does not copy from the Endpoints object. */
const NOT_MIRRORED_LABEL = "endpointslice.kubernetes.io/skip-mirror";

/** The Service a controller object belongs to. */
export interface ServiceRef {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly labels: Record<string, string>;
}

/** One backend pod as kube-controller-manager sees it (ready = the kubelet's readiness). */
export interface Backend {
  readonly pod: string;
  readonly address: string;
  readonly node: string;
  readonly ready: boolean;
}

/** The port every generated controller object publishes. */
export interface BackendPort {
  readonly name: string;
  readonly port: number;
}

/** Five lowercase letters or digits, as the controllers' generateName suffixes (deterministic). */
export function nameSuffix(seed: string): string {
  let hash = 2166136261;
  for (let i = 0; i < seed.length; i++) hash = Math.imul(hash ^ seed.charCodeAt(i), 16777619);
  return (hash >>> 0).toString(36).padStart(7, "0").slice(-5);
}

function controllerRef(kind: string, name: string, uid: string): Record<string, unknown> {
  return { apiVersion: "v1", kind, name, uid, controller: true, blockOwnerDeletion: true };
}

function sliceEndpoint(b: Backend, namespace: string): Record<string, unknown> {
  return {
    addresses: [b.address],
    conditions: { ready: b.ready, serving: b.ready, terminating: false },
    nodeName: b.node,
    targetRef: { kind: "Pod", name: b.pod, namespace, uid: `pod-uid-${b.pod}` },
  };
}

/** The endpointslice controller's slice of `service` (Service labels copied, as it does). */
export function controllerSlice(
  service: ServiceRef,
  backends: readonly Backend[],
  port: BackendPort,
): KubeObject {
  const { name, namespace, uid } = service;
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${name}-${nameSuffix(`slice/${namespace}/${name}`)}`,
      generateName: `${name}-`,
      namespace,
      uid: `kcm-slice-uid-${namespace}-${name}`,
      creationTimestamp: FIXED_TIME,
      labels: {
        ...service.labels,
        [LABEL_MANAGED_BY]: ENDPOINTSLICE_CONTROLLER,
        [LABEL_SERVICE_NAME]: name,
      },
      annotations: { [ANNOTATION_TRIGGER_TIME]: FIXED_TIME },
      ownerReferences: [controllerRef("Service", name, uid)],
    },
    addressType: "IPv4",
    endpoints: backends.map(b => sliceEndpoint(b, namespace)),
    ports: [{ name: port.name, protocol: "TCP", port: port.port }],
  };
}

function endpointAddress(b: Backend, namespace: string): Record<string, unknown> {
  return {
    ip: b.address,
    nodeName: b.node,
    targetRef: { kind: "Pod", name: b.pod, namespace, uid: `pod-uid-${b.pod}` },
  };
}

/** The endpoints controller's Endpoints object of `service`. */
export function controllerEndpoints(
  service: ServiceRef,
  backends: readonly Backend[],
  port: BackendPort,
): KubeObject {
  const { name, namespace } = service;
  const ready = backends.filter(b => b.ready).map(b => endpointAddress(b, namespace));
  const notReady = backends.filter(b => !b.ready).map(b => endpointAddress(b, namespace));
  return {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: {
      name,
      namespace,
      uid: `kcm-endpoints-uid-${namespace}-${name}`,
      creationTimestamp: FIXED_TIME,
      labels: { ...service.labels, [LABEL_ENDPOINTS_MANAGED_BY]: ENDPOINTS_CONTROLLER },
      annotations: { [ANNOTATION_TRIGGER_TIME]: FIXED_TIME },
    },
    subsets: [
      {
        addresses: ready,
        ...(notReady.length > 0 ? { notReadyAddresses: notReady } : {}),
        ports: [{ name: port.name, protocol: "TCP", port: port.port }],
      },
    ],
  };
}

function stringRecord(value: unknown): Record<string, string> {
  return typeof value === "object" && value !== null ? (value as Record<string, string>) : {};
}

/**
 * Labels and annotations the mirroring controller gives the mirror of `endpoints`: the Endpoints'
 * own (but the few it skips), then its managed-by and the service name.
 */
export function mirroredMetadata(endpoints: KubeObject): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const labels = { ...stringRecord(endpoints.metadata.labels) };
  delete labels[NOT_MIRRORED_LABEL];
  const annotations = { ...stringRecord(endpoints.metadata.annotations) };
  for (const key of NOT_MIRRORED_ANNOTATIONS) delete annotations[key];
  return {
    labels: {
      ...labels,
      [LABEL_MANAGED_BY]: MIRRORING_CONTROLLER,
      [LABEL_SERVICE_NAME]: endpoints.metadata.name,
    },
    annotations,
  };
}

/** Whether `object` is a mirror the mirroring controller made of Endpoints `namespace/name`. */
export function isMirrorOf(object: KubeObject, namespace: string, name: string): boolean {
  const labels = stringRecord(object.metadata.labels);
  return (
    object.kind === "EndpointSlice" &&
    object.metadata.namespace === namespace &&
    labels[LABEL_MANAGED_BY] === MIRRORING_CONTROLLER &&
    labels[LABEL_SERVICE_NAME] === name
  );
}

/** The mirroring controller's slice of `endpoints` (same backends, owned by the Endpoints). */
export function mirrorSlice(
  endpoints: KubeObject,
  backends: readonly Backend[],
  port: BackendPort,
): KubeObject {
  const { name, namespace = "", uid } = endpoints.metadata;
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${name}-${nameSuffix(`mirror/${namespace}/${name}`)}`,
      generateName: `${name}-`,
      namespace,
      uid: `kcm-mirror-uid-${namespace}-${name}`,
      creationTimestamp: FIXED_TIME,
      ...mirroredMetadata(endpoints),
      ownerReferences: [controllerRef("Endpoints", name, String(uid))],
    },
    addressType: "IPv4",
    endpoints: backends.map(b => sliceEndpoint(b, namespace)),
    ports: [{ name: port.name, protocol: "TCP", port: port.port }],
  };
}
