// What kube-controller-manager leaves behind when a Service loses its selector, and how the hooks
// see it. Adopting a plain Service (network.deckhouse.io/allow-adoption) removes its selector;
// so does the child-service hook when someone puts one back on a child. Verified with
// kube-controller-manager v1.34 in the cluster in a box: the endpointslice controller stops
// updating the Service's EndpointSlices but does not delete them; the endpoints controller leaves
// its Endpoints object; and the endpointslice mirroring controller, which mirrors the Endpoints
// of selector-less Services, copies that leftover into a new EndpointSlice (deleting the copy
// alone makes it come back; deleting the Endpoints removes it). kube-proxy merges every slice of
// a Service, so the stale addresses keep getting traffic next to the agents' probed ones.
//
// For a child Service that is ours and has no selector, the leftovers are exactly:
// - slices labelled `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`
//   with `kubernetes.io/service-name` = the child's name, in its namespace;
// - the Endpoints object of that name, when kube-controller-manager made it. Its endpoints
//   controller labels what it makes `endpoints.kubernetes.io/managed-by: endpoint-controller`
//   (Kubernetes 1.33 and later), and the mirroring controller copies the Endpoints' labels and
//   annotations onto its mirror. So the hooks never watch Endpoints: a mirror with that label
//   says the Endpoints exists, is the controller's, and is being served. An Endpoints object a
//   user made (no such label) is never touched, nor its mirror; neither is any other slice.
//
// Deleting them at once would leave the Service without endpoints until the agents' probes pass
// (the old ones keep serving until then), so it happens in two steps. The child-service hook
// marks them (LABEL_REPLACED_BY = the SWH's uid, ANNOTATION_REPLACED_AT = now; the Endpoints
// object is marked instead of its mirror, which the mirroring controller would rewrite, and the
// mark reaches the mirror by the controller's own copy). The GC hook deletes marked objects once
// the agents publish the same ready endpoints, or after a grace period (hooks/endpointslice-gc/leftover-handover.ts).
//
// Bindings. The child-service hook: the endpointslice controller's slices (one or more per
// Service with a selector, cluster-wide) are snapshot-only, as they exist before the adoption and
// the run the adoption's Service event triggers sees them; the mirrors of controller-made
// Endpoints exist only where a selector was removed, so their events run the hook (a mirror
// appears just after the selector goes, usually after that run). Both keep only namespace, name
// and four labels, so the controller's constant endpoint updates do not change the filter result.
// The GC hook: only marked slices, with their ready addresses, snapshot-only (its schedule runs it).

import type { KubernetesBinding } from "shell-operator-ts-hooks";
import {
  ANNOTATION_REPLACED_AT,
  ANNOTATION_REPLACED_GRACE,
  LABEL_MANAGED_BY,
  LABEL_REPLACED_BY,
  LABEL_SERVICE_NAME,
} from "../../api/contract.js";
import { asArray, asRecord, asString, recordAt } from "../../api/json-read.js";

/** `endpointslice.kubernetes.io/managed-by` of the endpointslice controller's slices. */
export const ENDPOINTSLICE_CONTROLLER = "endpointslice-controller.k8s.io";
/** `endpointslice.kubernetes.io/managed-by` of the mirroring controller's slices. */
export const ENDPOINTSLICE_MIRRORING_CONTROLLER = "endpointslicemirroring-controller.k8s.io";
/** Label the endpoints controller puts on the Endpoints it makes (Kubernetes 1.33+). */
export const LABEL_ENDPOINTS_MANAGED_BY = "endpoints.kubernetes.io/managed-by";
/** Value of LABEL_ENDPOINTS_MANAGED_BY set by kube-controller-manager's endpoints controller. */
export const ENDPOINTS_CONTROLLER = "endpoint-controller";

/** Binding names: the child-service hook's two, and the GC hook's one. */
export const CONTROLLER_SLICES_BINDING = "controllerSlices";
export const MIRRORED_SLICES_BINDING = "mirroredSlices";
export const LEFTOVERS_BINDING = "leftovers";

/** API version of EndpointSlices. */
export const ENDPOINT_SLICE_API_VERSION = "discovery.k8s.io/v1";

/** Identity of a kube-controller-manager EndpointSlice. */
export interface ControllerSliceIdentity {
  readonly name: string;
  readonly namespace: string;
  /** `kubernetes.io/service-name`. */
  readonly serviceName: string;
  /**
   * True for the mirroring controller's copy of an Endpoints object the endpoints controller
   * made; false for a slice of the endpointslice controller.
   */
  readonly mirror: boolean;
}

/** A kube-controller-manager EndpointSlice as the child-service hook sees it. */
export interface ControllerSliceSnapshot extends ControllerSliceIdentity {
  /** LABEL_REPLACED_BY: the uid of the SWH that marked it, when marked. */
  readonly replacedBy?: string;
}

/** A marked leftover as the GC hook sees it. */
export interface MarkedLeftoverSnapshot extends ControllerSliceIdentity {
  /** LABEL_REPLACED_BY: the uid of the SWH whose child it fed. */
  readonly replacedBy: string;
  /** ANNOTATION_REPLACED_AT in epoch milliseconds; undefined when absent or unreadable. */
  readonly replacedAtMs?: number;
  /** ANNOTATION_REPLACED_GRACE in milliseconds; undefined when absent (marked by an older build). */
  readonly graceMs?: number;
  /** Addresses of the endpoints it lists as ready (absent `ready` counts as ready). */
  readonly readyAddresses: readonly string[];
}

const LABELS_JQ = `((.metadata.labels // {}) | with_entries(select(.key == "${LABEL_SERVICE_NAME}" or .key == "${LABEL_MANAGED_BY}" or .key == "${LABEL_ENDPOINTS_MANAGED_BY}" or .key == "${LABEL_REPLACED_BY}")))`;

/**
 * jq program for the child-service hook's bindings: namespace, name and the labels that say whose
 * slice it is, for which Service, and whether it is marked. Keeps the object's shape, so the TS
 * filter also accepts full objects.
 */
export const CONTROLLER_SLICE_JQ_FILTER = `{
  metadata: { name: .metadata.name, namespace: .metadata.namespace, labels: ${LABELS_JQ} }
}`;

/** jq program for the GC hook's binding: as above, plus the mark's time, grace, ready addresses. */
export const MARKED_LEFTOVER_JQ_FILTER = `{
  metadata: {
    name: .metadata.name,
    namespace: .metadata.namespace,
    labels: ${LABELS_JQ},
    annotations: ((.metadata.annotations // {}) | with_entries(select(.key == "${ANNOTATION_REPLACED_AT}" or .key == "${ANNOTATION_REPLACED_GRACE}")))
  },
  endpoints: [(.endpoints // [])[] | {addresses, conditions: {ready: .conditions.ready}}]
}`;

/** Whether a slice's labels make it a mirror of an Endpoints object the controller made. */
function isControllerMirror(labels: Record<string, unknown>): boolean {
  return (
    labels[LABEL_MANAGED_BY] === ENDPOINTSLICE_MIRRORING_CONTROLLER &&
    labels[LABEL_ENDPOINTS_MANAGED_BY] === ENDPOINTS_CONTROLLER
  );
}

/**
 * Identity of a kube-controller-manager slice (jq output or full object); undefined, so never
 * touched, for anything but a slice of the endpointslice controller or a mirror of a
 * controller-made Endpoints object, each with a service name. The label selectors already ask
 * for that; this check keeps the promise even if a selector were wrong.
 */
function readControllerSlice(obj: unknown): ControllerSliceIdentity | undefined {
  const metadata = recordAt(obj, "metadata");
  const name = asString(metadata.name);
  const namespace = asString(metadata.namespace);
  const labels = recordAt(metadata, "labels");
  const serviceName = asString(labels[LABEL_SERVICE_NAME]);
  if (name === undefined || namespace === undefined || serviceName === undefined) return undefined;
  const mirror = isControllerMirror(labels);
  if (!mirror && labels[LABEL_MANAGED_BY] !== ENDPOINTSLICE_CONTROLLER) return undefined;
  return { name, namespace, serviceName, mirror };
}

/** LABEL_REPLACED_BY of an object (jq output or full object), when set. */
function replacedByOf(obj: unknown): string | undefined {
  return asString(recordAt(recordAt(obj, "metadata"), "labels")[LABEL_REPLACED_BY]);
}

/** Snapshot filter of the child-service hook's bindings. */
export function filterControllerSlice(obj: unknown): ControllerSliceSnapshot | undefined {
  const identity = readControllerSlice(obj);
  if (identity === undefined) return undefined;
  const replacedBy = replacedByOf(obj);
  return replacedBy === undefined ? identity : { ...identity, replacedBy };
}

function readyAddresses(endpoints: unknown): string[] {
  const out: string[] = [];
  for (const endpoint of asArray(endpoints)) {
    const raw = asRecord(endpoint);
    if (raw === undefined || recordAt(raw, "conditions").ready === false) continue;
    for (const address of asArray(raw.addresses)) {
      if (typeof address === "string" && address !== "") out.push(address);
    }
  }
  return out;
}

/**
 * Snapshot filter of the GC hook's binding: a controller slice carrying our mark; undefined
 * for anything else (in particular a slice someone else labelled, or an agent's slice).
 */
export function filterMarkedLeftover(obj: unknown): MarkedLeftoverSnapshot | undefined {
  const identity = readControllerSlice(obj);
  const replacedBy = replacedByOf(obj);
  if (identity === undefined || replacedBy === undefined) return undefined;
  const annotations = recordAt(recordAt(obj, "metadata"), "annotations");
  const at = asString(annotations[ANNOTATION_REPLACED_AT]);
  const ms = at === undefined ? Number.NaN : Date.parse(at);
  const grace = Number(asString(annotations[ANNOTATION_REPLACED_GRACE]) ?? Number.NaN);
  return {
    ...identity,
    replacedBy,
    ...(Number.isFinite(ms) ? { replacedAtMs: ms } : {}),
    ...(Number.isInteger(grace) && grace > 0 ? { graceMs: grace * 1000 } : {}),
    readyAddresses: readyAddresses(asRecord(obj)?.endpoints),
  };
}

/** Snapshot-only binding of the endpointslice controller's slices (child-service hook). */
export function controllerSlicesBinding(): KubernetesBinding<ControllerSliceSnapshot> {
  return {
    name: CONTROLLER_SLICES_BINDING,
    apiVersion: ENDPOINT_SLICE_API_VERSION,
    kind: "EndpointSlice",
    labelSelector: { matchLabels: { [LABEL_MANAGED_BY]: ENDPOINTSLICE_CONTROLLER } },
    executeHookOnEvent: [],
    jqFilter: CONTROLLER_SLICE_JQ_FILTER,
    filter: filterControllerSlice,
  };
}

/** Mirrors of controller-made Endpoints; their events run the child-service hook. */
export function mirroredSlicesBinding(): KubernetesBinding<ControllerSliceSnapshot> {
  return {
    name: MIRRORED_SLICES_BINDING,
    apiVersion: ENDPOINT_SLICE_API_VERSION,
    kind: "EndpointSlice",
    labelSelector: {
      matchLabels: {
        [LABEL_MANAGED_BY]: ENDPOINTSLICE_MIRRORING_CONTROLLER,
        [LABEL_ENDPOINTS_MANAGED_BY]: ENDPOINTS_CONTROLLER,
      },
    },
    jqFilter: CONTROLLER_SLICE_JQ_FILTER,
    filter: filterControllerSlice,
  };
}

/** Snapshot-only binding of marked slices (GC hook, run by its schedule). */
export function leftoversBinding(): KubernetesBinding<MarkedLeftoverSnapshot> {
  return {
    name: LEFTOVERS_BINDING,
    apiVersion: ENDPOINT_SLICE_API_VERSION,
    kind: "EndpointSlice",
    labelSelector: { matchExpressions: [{ key: LABEL_REPLACED_BY, operator: "Exists" }] },
    executeHookOnEvent: [],
    jqFilter: MARKED_LEFTOVER_JQ_FILTER,
    filter: filterMarkedLeftover,
  };
}
