// The ServiceWithHealthchecks snapshot every hook shares: a jqFilter that shrinks each SWH in the
// operator's memory (1,000 SWHs cluster-wide) and a TypeScript filter that validates the
// remainder and returns a small readonly shape. The jq output keeps the object's own layout
// (`metadata`, `spec`, `status`), so `filterSwh` accepts both the jq result and a raw object
// (what unit tests feed it).

import type {
  Condition,
  HTTPHeader,
  Healthcheck,
  Probe,
  ProbeMode,
  ServicePort,
  ServiceWithHealthchecksSpec,
} from "../../api/v1alpha1.js";
import {
  asBoolean,
  asIntOrString,
  asNumber,
  asRecord,
  asString,
  asStringArray,
  asStringMap,
  compact,
} from "./json.js";

/** Recursively readonly view of a plain-data type. */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Annotation kubectl writes with the whole last applied object: large, never needed by hooks. */
export const ANNOTATION_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** The Service types an SWH may have (the CRD rejects ExternalName). */
export const SWH_SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer"] as const;

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

// ---------------------------------------------------------------------------------------------
// Spec readers.

const PROTOCOLS = new Set(["TCP", "UDP", "SCTP"]);

/** One Service port; undefined when `port` is missing. */
export function readServicePort(value: unknown): ServicePort | undefined {
  const raw = asRecord(value);
  const port = asNumber(raw?.port);
  if (raw === undefined || port === undefined) return undefined;
  const protocol = asString(raw.protocol);
  return compact<ServicePort>({
    name: asString(raw.name),
    protocol: protocol !== undefined && PROTOCOLS.has(protocol) ? (protocol as "TCP") : undefined,
    appProtocol: asString(raw.appProtocol),
    port,
    targetPort: asIntOrString(raw.targetPort),
    nodePort: asNumber(raw.nodePort),
  });
}

/** Service ports in order; entries without a port are dropped. */
export function readServicePorts(value: unknown): ServicePort[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map(readServicePort).filter((p): p is ServicePort => p !== undefined);
}

function readSessionAffinityConfig(
  value: unknown,
): ServiceWithHealthchecksSpec["sessionAffinityConfig"] {
  const clientIP = asRecord(asRecord(value)?.clientIP);
  if (clientIP === undefined) return undefined;
  return { clientIP: compact({ timeoutSeconds: asNumber(clientIP.timeoutSeconds) }) };
}

/** Reads one of `allowed` or undefined. */
function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return typeof value === "string" && (allowed as readonly string[]).includes(value)
    ? (value as T)
    : undefined;
}

/**
 * The Service part of a spec (everything but healthcheck), shared with Service snapshots.
 * `type` is read as a plain string: callers decide which types they accept.
 */
export function readServiceSpecFields(
  spec: Record<string, unknown>,
): Omit<ServiceWithHealthchecksSpec, "healthcheck" | "type"> & { type?: string } {
  return compact({
    ports: readServicePorts(spec.ports),
    selector: asRecord(spec.selector) === undefined ? undefined : asStringMap(spec.selector),
    type: asString(spec.type),
    clusterIP: asString(spec.clusterIP),
    clusterIPs: asStringArray(spec.clusterIPs),
    ipFamilies: asStringArray(spec.ipFamilies)?.filter(
      (f): f is "IPv4" | "IPv6" => f === "IPv4" || f === "IPv6",
    ),
    ipFamilyPolicy: oneOf(spec.ipFamilyPolicy, [
      "SingleStack",
      "PreferDualStack",
      "RequireDualStack",
    ] as const),
    sessionAffinity: oneOf(spec.sessionAffinity, ["None", "ClientIP"] as const),
    sessionAffinityConfig: readSessionAffinityConfig(spec.sessionAffinityConfig),
    externalTrafficPolicy: oneOf(spec.externalTrafficPolicy, ["Cluster", "Local"] as const),
    internalTrafficPolicy: oneOf(spec.internalTrafficPolicy, ["Cluster", "Local"] as const),
    externalIPs: asStringArray(spec.externalIPs),
    loadBalancerIP: asString(spec.loadBalancerIP),
    loadBalancerSourceRanges: asStringArray(spec.loadBalancerSourceRanges),
    loadBalancerClass: asString(spec.loadBalancerClass),
    allocateLoadBalancerNodePorts: asBoolean(spec.allocateLoadBalancerNodePorts),
    healthCheckNodePort: asNumber(spec.healthCheckNodePort),
    publishNotReadyAddresses: asBoolean(spec.publishNotReadyAddresses),
    trafficDistribution: asString(spec.trafficDistribution),
  });
}

const PROBE_MODES: readonly ProbeMode[] = ["TCP", "HTTP", "PostgreSQL"];

function readHttpHeaders(value: unknown): HTTPHeader[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const headers: HTTPHeader[] = [];
  for (const item of value) {
    const raw = asRecord(item);
    if (typeof raw?.name === "string" && typeof raw.value === "string") {
      headers.push({ name: raw.name, value: raw.value });
    }
  }
  return headers;
}

function readHttpProbe(value: unknown): Probe["http"] {
  const raw = asRecord(value);
  const targetPort = asIntOrString(raw?.targetPort);
  if (raw === undefined || targetPort === undefined) return undefined;
  const codes = Array.isArray(raw.expectedStatusCodes)
    ? raw.expectedStatusCodes.map(asIntOrString).filter(c => c !== undefined)
    : undefined;
  return compact({
    targetPort,
    path: asString(raw.path),
    host: asString(raw.host),
    httpHeaders: readHttpHeaders(raw.httpHeaders),
    method: oneOf(raw.method, ["GET", "HEAD"] as const),
    scheme: oneOf(raw.scheme, ["HTTP", "HTTPS"] as const),
    insecureSkipTLSVerify: asBoolean(raw.insecureSkipTLSVerify),
    caCert: asString(raw.caCert),
    expectedStatusCodes: codes,
  });
}

function readPostgresProbe(value: unknown): Probe["postgreSQL"] {
  const raw = asRecord(value);
  const targetPort = asIntOrString(raw?.targetPort);
  if (raw === undefined || targetPort === undefined) return undefined;
  return compact({
    targetPort,
    dbName: asString(raw.dbName),
    authSecretName: asString(raw.authSecretName),
    query: asString(raw.query),
  });
}

function readTcpProbe(value: unknown): Probe["tcp"] {
  const targetPort = asIntOrString(asRecord(value)?.targetPort);
  return targetPort === undefined ? undefined : { targetPort };
}

/** One probe; undefined when its mode is unknown. */
export function readProbe(value: unknown): Probe | undefined {
  const raw = asRecord(value);
  const mode = oneOf(raw?.mode, PROBE_MODES);
  if (raw === undefined || mode === undefined) return undefined;
  return compact<Probe>({
    mode,
    timeoutSeconds: asNumber(raw.timeoutSeconds),
    successThreshold: asNumber(raw.successThreshold),
    failureThreshold: asNumber(raw.failureThreshold),
    tcp: readTcpProbe(raw.tcp),
    http: readHttpProbe(raw.http),
    postgreSQL: readPostgresProbe(raw.postgreSQL),
  });
}

/** spec.healthcheck; undefined when absent. */
export function readHealthcheck(value: unknown): Healthcheck | undefined {
  const raw = asRecord(value);
  if (raw === undefined) return undefined;
  const probes = Array.isArray(raw.probes)
    ? raw.probes.map(readProbe).filter((p): p is Probe => p !== undefined)
    : undefined;
  return compact<Healthcheck>({
    initialDelaySeconds: asNumber(raw.initialDelaySeconds),
    periodSeconds: asNumber(raw.periodSeconds),
    requirePodReady: asBoolean(raw.requirePodReady),
    probes,
  });
}

function readCondition(value: unknown): Condition | undefined {
  const raw = asRecord(value);
  const type = asString(raw?.type);
  const status = oneOf(raw?.status, ["True", "False", "Unknown"] as const);
  if (raw === undefined || type === undefined || status === undefined) return undefined;
  return compact<Condition>({
    type,
    status,
    reason: typeof raw.reason === "string" ? raw.reason : "",
    message: typeof raw.message === "string" ? raw.message : "",
    lastTransitionTime: typeof raw.lastTransitionTime === "string" ? raw.lastTransitionTime : "",
    observedGeneration: asNumber(raw.observedGeneration),
  });
}

/** status.conditions, invalid entries dropped. */
export function readConditions(value: unknown): Condition[] {
  if (!Array.isArray(value)) return [];
  return value.map(readCondition).filter((c): c is Condition => c !== undefined);
}

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

function isSwhServiceType(type: string | undefined): boolean {
  return type === undefined || (SWH_SERVICE_TYPES as readonly string[]).includes(type);
}

function readSwhSpec(value: unknown): ServiceWithHealthchecksSpec | undefined {
  const raw = asRecord(value) ?? {};
  const { type, ...serviceFields } = readServiceSpecFields(raw);
  if (!isSwhServiceType(type)) return undefined;
  return compact({
    ...serviceFields,
    type: type as ServiceWithHealthchecksSpec["type"],
    healthcheck: readHealthcheck(raw.healthcheck),
  });
}

/**
 * Snapshot filter for SWH bindings. Accepts the SWH_JQ_FILTER result or a raw object. Returns
 * undefined (the item is dropped) when name, namespace or uid is missing, or when `spec.type` is
 * not one the CRD allows (ExternalName is rejected at apply time, so this never drops a real SWH).
 */
export function filterSwh(obj: unknown): SwhSnapshot | undefined {
  const id = readIdentity(obj);
  const spec = readSwhSpec(asRecord(obj)?.spec);
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
