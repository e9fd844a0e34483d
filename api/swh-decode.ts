// Decoding a ServiceWithHealthchecks, once for both deployables. The policy: read every field
// and keep only values of the declared type; drop an invalid entry (a port without a number, a
// probe of an unknown mode, a malformed condition) rather than the whole resource; refuse only an
// SWH whose Service type the CRD forbids. The API server validates what it stores, but it never
// re-validates what it stored under an older, looser schema, and a wrong type here would reach
// probe timers and Service specs, so neither the hooks nor the agent trust a field's type blindly.

import type {
  Condition,
  FailOpen,
  HTTPHeader,
  Healthcheck,
  Probe,
  ProbeMode,
  ServicePort,
  ServiceWithHealthchecksSpec,
  TCPConversationStep,
} from "./v1alpha1.js";
import {
  asBoolean,
  asIntOrString,
  asNumber,
  asRecord,
  asString,
  asStringArray,
  asStringMap,
  compact,
} from "./json-read.js";

/** The Service types an SWH may have (the CRD rejects ExternalName). */
export const SWH_SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer"] as const;

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

const PROBE_MODES: readonly ProbeMode[] = ["TCP", "HTTP", "PostgreSQL", "GRPC"];

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

function readGrpcProbe(value: unknown): Probe["grpc"] {
  const raw = asRecord(value);
  const targetPort = asIntOrString(raw?.targetPort);
  if (raw === undefined || targetPort === undefined) return undefined;
  return compact({
    targetPort,
    service: asString(raw.service),
    scheme: oneOf(raw.scheme, ["HTTP", "HTTPS"] as const),
    insecureSkipTLSVerify: asBoolean(raw.insecureSkipTLSVerify),
    caCert: asString(raw.caCert),
  });
}

/**
 * One conversation step, fields of the wrong type dropped. A step that is left with neither
 * or both of send/expect is kept as it is: the agent refuses the whole conversation with a
 * reason, since skipping one step would change what the others match.
 */
function readConversationStep(value: unknown): TCPConversationStep {
  const raw = asRecord(value) ?? {};
  const expect = asRecord(raw.expect);
  return compact<TCPConversationStep>({
    send: asString(raw.send),
    expect:
      expect === undefined
        ? undefined
        : compact({ prefix: asString(expect.prefix), contains: asString(expect.contains) }),
  });
}

function readTcpProbe(value: unknown): Probe["tcp"] {
  const raw = asRecord(value);
  const targetPort = asIntOrString(raw?.targetPort);
  if (targetPort === undefined) return undefined;
  const conversation = Array.isArray(raw?.conversation)
    ? raw.conversation.map(readConversationStep)
    : undefined;
  return compact({ targetPort, conversation });
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
    recheckIntervalMilliseconds: asNumber(raw.recheckIntervalMilliseconds),
    tcp: readTcpProbe(raw.tcp),
    http: readHttpProbe(raw.http),
    postgreSQL: readPostgresProbe(raw.postgreSQL),
    grpc: readGrpcProbe(raw.grpc),
  });
}

/** spec.healthcheck.failOpen; undefined when absent or without a numeric minPassingPercent. */
export function readFailOpen(value: unknown): FailOpen | undefined {
  const minPassingPercent = asNumber(asRecord(value)?.minPassingPercent);
  return minPassingPercent === undefined ? undefined : { minPassingPercent };
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
    failOpen: readFailOpen(raw.failOpen),
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

function isSwhServiceType(type: string | undefined): boolean {
  return type === undefined || (SWH_SERVICE_TYPES as readonly string[]).includes(type);
}

/**
 * An SWH's spec, every field read and checked against its type; undefined when `spec.type` is one
 * the CRD does not allow (ExternalName). Both the hooks (on their jqFilter result) and the agent
 * (on the informer's object) decode an SWH with this.
 */
export function decodeSwhSpec(value: unknown): ServiceWithHealthchecksSpec | undefined {
  const raw = asRecord(value) ?? {};
  const { type, ...serviceFields } = readServiceSpecFields(raw);
  if (!isSwhServiceType(type)) return undefined;
  return compact({
    ...serviceFields,
    type: type as ServiceWithHealthchecksSpec["type"],
    healthcheck: readHealthcheck(raw.healthcheck),
  });
}
