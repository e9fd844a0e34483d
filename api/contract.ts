// The names shared by the control plane (hooks) and the data plane (node agent): labels,
// annotations, Lease naming and the per-endpoint report the agent leaves on its EndpointSlices.
// Both sides import this file, so a rename here is a rename everywhere.

/** API group and version of the ServiceWithHealthchecks resource. */
export const GROUP = "network.deckhouse.io";
export const VERSION = "v1alpha1";
export const SWH_API_VERSION = `${GROUP}/${VERSION}`;
export const SWH_KIND = "ServiceWithHealthchecks";
export const SWH_PLURAL = "servicewithhealthchecks";

/** The module's name and the namespace its own components run in. */
export const MODULE_NAME = "service-with-healthchecks";
export const MODULE_NAMESPACE = "d8-service-with-healthchecks";
/** The agent's ServiceAccount (in MODULE_NAMESPACE); the hooks grant it Secret access. */
export const AGENT_SERVICE_ACCOUNT = "agent";

/** Labels on every EndpointSlice the agent writes. */
export const LABEL_SERVICE_NAME = "kubernetes.io/service-name";
export const LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
/** Value of LABEL_MANAGED_BY; the same as the Go implementation's, so its slices are adopted. */
export const MANAGED_BY_VALUE = "servicewithhealthchecks";
/** The node whose agent owns the slice (also on the agent's Lease). */
export const LABEL_NODE_NAME = "network.deckhouse.io/node-name";
export const LABEL_HERITAGE = "heritage";
export const HERITAGE_VALUE = "deckhouse";
export const LABEL_MODULE = "module";

/**
 * Annotation on an EndpointSlice: JSON array of EndpointReport, sorted by pod name. Written by
 * the agent, read by the status hook, so status can say why an endpoint fails without the
 * agent writing SWH status.
 */
export const ANNOTATION_ENDPOINT_REPORTS = "network.deckhouse.io/endpoint-reports";
/** Annotation the fencing hook sets (RFC 3339 time) when it marks a dead agent's slice. */
export const ANNOTATION_FENCED_AT = "network.deckhouse.io/fenced-at";
/**
 * On an agent's Lease: the renewTime before the renewals it missed, set when it renews again
 * (its acquireTime is then reset to that moment). The fencing hook reads the pair as "silent
 * from here to there" (hooks/endpointslice-gc/fencing-outage.ts).
 */
export const ANNOTATION_SILENT_SINCE = "network.deckhouse.io/silent-since";

/**
 * Marks the child-service hook puts on what kube-controller-manager left for a child Service
 * that had a selector (an adopted Service's EndpointSlices and Endpoints): the label holds the
 * owning SWH's uid, the annotation when the mark was set (RFC 3339). The GC hook deletes marked
 * objects once the agents serve the same ready endpoints, or after a grace period.
 */
export const LABEL_REPLACED_BY = "network.deckhouse.io/replaced-by";
export const ANNOTATION_REPLACED_AT = "network.deckhouse.io/replaced-at";
/** Seconds after the mark the leftovers may serve, from the SWH's probe timing at marking. */
export const ANNOTATION_REPLACED_GRACE = "network.deckhouse.io/replaced-grace-seconds";

/**
 * On a Pod: the ServiceWithHealthchecks (in the pod's namespace) to drain the pod's endpoints
 * from, comma-separated, or `*` for every one. Set and removed with `kubectl annotate`; the
 * agent of the pod's node publishes a drained endpoint `ready: false, serving: false` (no new
 * connections, established ones are not cut) while probing it on, and publishes it again at the
 * first passing probe result after the annotation is removed. Whitespace around names is
 * ignored; entries that are not valid resource names are ignored (the agent logs a warning).
 */
export const ANNOTATION_DRAIN_FROM = "network.deckhouse.io/drain-from";
/** The value of ANNOTATION_DRAIN_FROM (as a whole or as one entry) that drains from every SWH. */
export const DRAIN_FROM_ALL = "*";

/** Child Service metadata bookkeeping: keys copied from the SWH, comma-separated, sorted. */
export const ANNOTATION_PROPAGATED_ANNOTATIONS = "network.deckhouse.io/propagated-annotations";
export const ANNOTATION_PROPAGATED_LABELS = "network.deckhouse.io/propagated-labels";
/** A pre-existing Service carrying this annotation ("true") may be adopted as the child. */
export const ANNOTATION_ALLOW_ADOPTION = "network.deckhouse.io/allow-adoption";

/** Labels on the per-namespace Role/RoleBinding that let agents read referenced Secrets. */
export const SECRET_ACCESS_NAME = "d8-service-with-healthchecks-agent-secrets";

/** Labels on agent heartbeat Leases (in MODULE_NAMESPACE); spec.holderIdentity = node name. */
export const LABEL_LEASE_COMPONENT = "network.deckhouse.io/component";
export const LEASE_COMPONENT_VALUE = "swh-agent-heartbeat";

/**
 * The status hook's wake-up: a Lease in MODULE_NAMESPACE that the EndpointSlice GC hook (which
 * runs every 5 s anyway) renews when some SWH's fail-open hold has elapsed, so the status hook,
 * which watches it, runs and ends fail-open without a schedule of its own. Its annotation names
 * the SWHs (`namespace/name`, comma-separated) whose hold had elapsed; informational only.
 */
export const STATUS_WAKEUP_LEASE = "swh-status-wakeup";
export const ANNOTATION_WAKEUP_FOR = "network.deckhouse.io/wakeup-for";

/** Kubernetes object names are at most 253 characters (63 for labels values). */
export const MAX_NAME_LENGTH = 253;

/** One failing probe of an endpoint, as the agent saw it. */
export interface ProbeFailure {
  /** `mode:ip:port`, the Go implementation's failedProbes format, e.g. `HTTP:10.0.0.5:8080`. */
  readonly probe: string;
  /** Why it failed, short and credential-free, e.g. `HTTP 503`, `connect ECONNREFUSED`. */
  readonly reason: string;
}

/**
 * `probe` of the ProbeFailure entry a drained endpoint's report carries (while the pod's
 * ANNOTATION_DRAIN_FROM names the SWH, and after its removal until a probe result passes). Not
 * a probe: the status hook keeps it out of `failedProbes` and `probesSuccessful`.
 */
export const DRAIN_PROBE = "Drain";

/**
 * Reason of a failing probe that has no result yet (initial delay, first runs before a threshold
 * is crossed). The status hook reads it to leave such endpoints out of the fail-open share.
 */
export const PROBE_PENDING_REASON = "awaiting probe results";

/** What the agent knows about one endpoint; serialised into ANNOTATION_ENDPOINT_REPORTS. */
export interface EndpointReport {
  /** Pod name (the endpoint's targetRef). */
  readonly pod: string;
  /** The pod's address this report is about. */
  readonly address: string;
  /** True when every probe passes its threshold (and pod readiness when required). */
  readonly ready: boolean;
  /** Probes currently failing, empty when ready. */
  readonly failedProbes: readonly ProbeFailure[];
  /** When `ready` last changed (RFC 3339). */
  readonly lastTransitionTime?: string;
  /** When the last probe ran (RFC 3339); only with verbose status, to avoid writes per probe. */
  readonly lastProbeTime?: string;
  /**
   * True while the pod's ANNOTATION_DRAIN_FROM names this SWH: the endpoint is published not
   * ready whatever its probes say; `ready` is then false and `failedProbes` holds a `Drain`
   * entry beside the failing probes (absent when not drained, so older readers see a not-ready
   * endpoint with a reason).
   */
  readonly drained?: boolean;
}

/** Longest label value Kubernetes accepts. */
const MAX_LABEL_VALUE_LENGTH = 63;

/**
 * Value of LABEL_NODE_NAME for a node (on the agent's EndpointSlices and Lease): the node name,
 * or, when longer than a label value may be, a 63-character bounded form of it (see boundedName).
 * A node name may have 253 characters, so code that matches slices to Nodes or Lease holders
 * compares both sides through this function. Idempotent: a value it returns maps to itself.
 */
export function nodeLabelValue(nodeName: string): string {
  return boundedName(nodeName, MAX_LABEL_VALUE_LENGTH);
}

/** Lease name for a node's agent: `swh-agent-<node>`, shortened with a hash when too long. */
export function leaseNameForNode(nodeName: string): string {
  return boundedName(`swh-agent-${nodeName}`, MAX_NAME_LENGTH);
}

/**
 * Returns `name` when it fits in `max`; otherwise a prefix of it plus `-` and an 8-hex-digit
 * FNV-1a hash of the whole name, so distinct long names stay distinct and deterministic.
 */
export function boundedName(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = fnv1a32(name).toString(16).padStart(8, "0");
  return `${name.slice(0, max - 9).replace(/[-.]+$/, "")}-${hash}`;
}

/** 32-bit FNV-1a over UTF-16 code units: tiny, deterministic, good enough for name suffixes. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
