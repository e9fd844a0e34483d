// TypeScript shape of ServiceWithHealthchecks (network.deckhouse.io/v1alpha1), as the CRD in
// crds/servicewithhealthchecks.yaml defines it. Field names and defaults follow the Go
// implementation so its manifests keep working; additions are marked "(addition)".

/** Service port, as in core/v1 ServicePort. */
export interface ServicePort {
  name?: string;
  protocol?: "TCP" | "UDP" | "SCTP";
  appProtocol?: string;
  port: number;
  /** Number or IANA_SVC_NAME (a container port name); defaults to `port`. */
  targetPort?: number | string;
  nodePort?: number;
}

export interface HTTPHeader {
  name: string;
  value: string;
}

/** (addition) What an `expect` step of a TCP conversation matches: exactly one of the two. */
export interface TCPExpect {
  /** What the server sent since the previous step starts with this. */
  prefix?: string;
  /** What the server sent since the previous step contains this. */
  contains?: string;
}

/**
 * (addition) One step of a TCP conversation: exactly one of `send` (one line, written followed
 * by CRLF) and `expect`.
 */
export interface TCPConversationStep {
  send?: string;
  expect?: TCPExpect;
}

export interface TCPProbe {
  /** Port number, or a named container port (addition: names resolve per pod). */
  targetPort: number | string;
  /**
   * (addition) 1-8 send/expect steps run on the connection, e.g. an SMTP greeting and EHLO;
   * absent: the probe passes once the connection is established.
   */
  conversation?: TCPConversationStep[];
}

export interface HTTPProbe {
  targetPort: number | string;
  path?: string;
  /** Host header and TLS SNI name; defaults to the pod IP. */
  host?: string;
  httpHeaders?: HTTPHeader[];
  /** Default GET. */
  method?: "GET" | "HEAD";
  /** Default HTTP. */
  scheme?: "HTTP" | "HTTPS";
  insecureSkipTLSVerify?: boolean;
  /** PEM CA bundle used to verify the server when scheme is HTTPS. */
  caCert?: string;
  /** (addition) Accepted status codes: numbers or "NNN-NNN" ranges. Empty or absent: 200-399. */
  expectedStatusCodes?: Array<number | string>;
}

export interface PostgreSQLProbe {
  targetPort: number | string;
  dbName?: string;
  /** Secret in the SWH's namespace with keys user, password, tlsMode, caCert, clientCert, clientKey. */
  authSecretName?: string;
  /** Default `select 1`; passes when the first column of the first row is true. */
  query?: string;
}

/** (addition) gRPC health probe: `grpc.health.v1.Health/Check` passes when the answer is SERVING. */
export interface GRPCProbe {
  /** Port number, or a named container port (names resolve per pod). */
  targetPort: number | string;
  /** Service name sent in the request; default "" (the server's overall health). */
  service?: string;
  /** Default HTTP (plaintext HTTP/2); HTTPS is TLS with ALPN h2. */
  scheme?: "HTTP" | "HTTPS";
  insecureSkipTLSVerify?: boolean;
  /** PEM CA bundle used to verify the server when scheme is HTTPS. */
  caCert?: string;
}

export type ProbeMode = "TCP" | "HTTP" | "PostgreSQL" | "GRPC";

export interface Probe {
  mode: ProbeMode;
  /** Default 1. */
  timeoutSeconds?: number;
  /** Default 1. */
  successThreshold?: number;
  /** Default 3. */
  failureThreshold?: number;
  /**
   * (addition) Milliseconds between runs, instead of `periodSeconds`, while the probe's last
   * result disagrees with its published state (a failure while passing, a success while
   * failing), until a threshold is crossed or a result agrees again. 100 or more and below
   * the period; absent: off (every run on the period).
   */
  recheckIntervalMilliseconds?: number;
  tcp?: TCPProbe;
  http?: HTTPProbe;
  postgreSQL?: PostgreSQLProbe;
  /** (addition) */
  grpc?: GRPCProbe;
}

export interface Healthcheck {
  /** Default 10. */
  initialDelaySeconds?: number;
  /** Default 10. */
  periodSeconds?: number;
  /** (addition) Also require the pod's Ready condition for an endpoint to be ready. */
  requirePodReady?: boolean;
  probes?: Probe[];
  /**
   * (addition) Fail-open, like Envoy's panic threshold: when fewer than `minPassingPercent` of
   * the probed endpoints pass, every endpoint is published ready. Absent: off.
   */
  failOpen?: FailOpen;
}

/** (addition) spec.healthcheck.failOpen. */
export interface FailOpen {
  /** 1-100: below this share of passing endpoints (of those with a probe result), fail open. */
  minPassingPercent: number;
}

export interface SessionAffinityConfig {
  clientIP?: { timeoutSeconds?: number };
}

export interface ServiceWithHealthchecksSpec {
  ports?: ServicePort[];
  /** Required by the CRD, with at least one label. */
  selector?: Record<string, string>;
  /** Default ClusterIP (the CRD rejects ExternalName). */
  type?: "ClusterIP" | "NodePort" | "LoadBalancer";
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: Array<"IPv4" | "IPv6">;
  ipFamilyPolicy?: "SingleStack" | "PreferDualStack" | "RequireDualStack";
  sessionAffinity?: "None" | "ClientIP";
  sessionAffinityConfig?: SessionAffinityConfig;
  externalTrafficPolicy?: "Cluster" | "Local";
  internalTrafficPolicy?: "Cluster" | "Local";
  externalIPs?: string[];
  loadBalancerIP?: string;
  loadBalancerSourceRanges?: string[];
  loadBalancerClass?: string;
  allocateLoadBalancerNodePorts?: boolean;
  healthCheckNodePort?: number;
  publishNotReadyAddresses?: boolean;
  trafficDistribution?: string;
  healthcheck?: Healthcheck;
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface EndpointStatus {
  podName: string;
  nodeName?: string;
  /** (addition) The address probed. */
  address?: string;
  ready: boolean;
  probesSuccessful: boolean;
  /** `mode:ip:port` of each failing probe (Go-compatible format). */
  failedProbes?: string[];
  /** (addition) Human-readable reasons of the failures, `mode:ip:port: reason; ...`. */
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
  /** (addition) True when the endpoint's agent stopped heartbeating and it was fenced. */
  fenced?: boolean;
  /** (addition) True while the pod's `network.deckhouse.io/drain-from` annotation drains it. */
  drained?: boolean;
}

/** (addition) status.failOpen: the status hook's one decision for all nodes. */
export interface FailOpenStatus {
  /** Every candidate endpoint is published ready (the FailOpen condition is True). */
  active: boolean;
  /** Endpoints whose probes pass (the agents' reports, not what is published). */
  passingEndpoints: number;
  /** Endpoints with a probe result: not terminating, fenced, drained or awaiting a first result. */
  probedEndpoints: number;
  /** While active: since when the share is at or above the minimum (RFC 3339), for the hold. */
  passingSince?: string;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: string;
  ports?: Array<{ port: number; protocol: string; error?: string }>;
}

export interface ServiceWithHealthchecksStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  /** Go-compatible counters (`activeNodeName` is never written, only kept valid). */
  healthcheckCondition?: {
    observedGeneration?: number;
    endpoints?: number;
    readyEndpoints?: number;
    activeNodeName?: string;
  };
  /** (addition) "ready/total", for the printer column. */
  readySummary?: string;
  /** (addition) The fail-open decision and its numbers; only with spec.healthcheck.failOpen. */
  failOpen?: FailOpenStatus;
  /** At most SWH_LIMITS.endpointStatuses entries. */
  endpointStatuses?: EndpointStatus[];
  loadBalancer?: { ingress?: LoadBalancerIngress[] };
  clusterIP?: string;
  clusterIPs?: string[];
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  creationTimestamp?: string;
}

export interface ServiceWithHealthchecks {
  apiVersion: "network.deckhouse.io/v1alpha1";
  kind: "ServiceWithHealthchecks";
  metadata: ObjectMeta;
  spec: ServiceWithHealthchecksSpec;
  status?: ServiceWithHealthchecksStatus;
}

/** Defaults the CRD applies; code that reads specs outside the API server applies them too. */
export const HEALTHCHECK_DEFAULTS = {
  initialDelaySeconds: 10,
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
  httpMethod: "GET",
  httpScheme: "HTTP",
  postgresQuery: "select 1",
  grpcScheme: "HTTP",
} as const;

/**
 * List sizes the CRD caps (`maxItems`): the API server rejects longer lists, so writers (the
 * status hook above all) must stay within them. A unit test keeps these equal to the CRD.
 */
export const SWH_LIMITS = {
  ports: 100,
  probes: 16,
  httpHeaders: 32,
  expectedStatusCodes: 32,
  conversation: 8,
  conditions: 16,
  endpointStatuses: 1000,
  failedProbes: 32,
} as const;

/** Condition types and reasons written by the status hook. */
export const CONDITION_READY = "Ready";
export const CONDITION_CHILD_SERVICE_READY = "ChildServiceReady";
/** (addition) True while every candidate endpoint is published ready (spec.healthcheck.failOpen). */
export const CONDITION_FAIL_OPEN = "FailOpen";
export const REASON = {
  allEndpointsReady: "AllEndpointsAreReady",
  someEndpointsReady: "SomeEndpointsAreReady",
  noReadyEndpoints: "NoReadyEndpoints",
  noEndpoints: "NoEndpoints",
  childServiceCreated: "ChildServiceWasCreated",
  childServiceNotCreated: "ChildServiceWasNotCreated",
  childServiceConflict: "ChildServiceConflict",
  childServiceClusterIPImmutable: "ChildServiceClusterIPImmutable",
  tooFewPassing: "TooFewPassing",
  passingAgain: "PassingAgain",
  enoughPassing: "EnoughPassing",
  awaitingProbeResults: "AwaitingProbeResults",
} as const;
