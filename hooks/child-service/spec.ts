// The child Service's spec: what it must be for a given SWH, and the exact merge patch that
// takes an existing child there. The comparison is semantic: a field the API server defaults
// or allocates (clusterIP, nodePorts, sessionAffinity None, internalTrafficPolicy Cluster, port
// protocol TCP, targetPort = port, ...) is equal to its default, so an up-to-date child yields
// an empty patch and the hook writes nothing.
//
// Named targetPorts are copied as they are. The child has no selector, so the API server never
// resolves the name; what carries traffic are the agent's EndpointSlices, whose ports are
// matched to Service ports by *name* and carry the number resolved per pod. A string
// targetPort on a selector-less Service is therefore valid and harmless, and copying it keeps
// `kubectl describe service` showing what the user wrote.

import type { ServicePort } from "../../api/v1alpha1.js";
import type { ServiceSpecSnapshot } from "../lib/child-service-state.js";
import { compact, jsonEqual } from "../../api/json-read.js";
import type { DeepReadonly, SwhSpec } from "../lib/swh.js";

/** Server default of sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const DEFAULT_CLIENT_IP_TIMEOUT_SECONDS = 10800;

/** A Service port with every defaulted field filled in, as both sides are compared. */
export interface NormalizedPort {
  readonly name?: string;
  readonly protocol: string;
  readonly appProtocol?: string;
  readonly port: number;
  readonly targetPort: number | string;
  readonly nodePort?: number;
}

/** Inputs of the per-field rules. */
interface FieldContext {
  readonly swh: SwhSpec;
  /** The Service type the child must have. */
  readonly type: string;
  /** The existing child's spec, when there is one. */
  readonly existing?: ServiceSpecSnapshot;
}

/**
 * A managed spec field. `desired` returns the value the child must have, `null` when the field
 * must be absent, or `undefined` when any value is fine (server-defaulted, user did not ask).
 * `observed` returns the existing value normalised the same way (`null` when absent).
 */
interface FieldRule {
  readonly field: string;
  readonly desired: (ctx: FieldContext) => unknown;
  readonly observed: (spec: ServiceSpecSnapshot, ctx: FieldContext) => unknown;
}

const needsNodePorts = (type: string): boolean => type === "NodePort" || type === "LoadBalancer";
const isLoadBalancer = (ctx: FieldContext): boolean => ctx.type === "LoadBalancer";

function nonEmpty<T>(list: readonly T[] | undefined): readonly T[] | null {
  return list !== undefined && list.length > 0 ? list : null;
}

/** A port as the API server would store it: protocol TCP and targetPort = port by default. */
export function normalizePort(port: DeepReadonly<ServicePort>): NormalizedPort {
  const target = port.targetPort;
  return compact<NormalizedPort>({
    name: port.name,
    protocol: port.protocol ?? "TCP",
    appProtocol: port.appProtocol,
    port: port.port,
    targetPort: target === undefined || target === 0 || target === "" ? port.port : target,
    nodePort: port.nodePort,
  });
}

/**
 * The child's ports: the SWH's, normalised. NodePorts exist only for NodePort/LoadBalancer;
 * one the SWH does not set is taken from the existing child's port with the same port and
 * protocol, so the allocated value is kept (omitting it would make the API server allocate a
 * new one and the next run would see a difference again).
 */
export function desiredPorts(
  swh: SwhSpec,
  type: string,
  existing: ServiceSpecSnapshot | undefined,
): NormalizedPort[] {
  const allocated = new Map<string, number>();
  for (const p of (existing?.ports ?? []).map(normalizePort)) {
    if (p.nodePort !== undefined) allocated.set(`${p.port}/${p.protocol}`, p.nodePort);
  }
  return (swh.ports ?? []).map(p => {
    const port = normalizePort(p);
    if (!needsNodePorts(type)) return compact({ ...port, nodePort: undefined });
    return compact({
      ...port,
      nodePort: port.nodePort ?? allocated.get(`${port.port}/${port.protocol}`),
    });
  });
}

function desiredExternalTrafficPolicy(ctx: FieldContext): string | null {
  return needsNodePorts(ctx.type) ? (ctx.swh.externalTrafficPolicy ?? "Cluster") : null;
}

function desiredSessionAffinityConfig(ctx: FieldContext): unknown {
  if ((ctx.swh.sessionAffinity ?? "None") !== "ClientIP") return null;
  const timeout = ctx.swh.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  return { clientIP: { timeoutSeconds: timeout ?? DEFAULT_CLIENT_IP_TIMEOUT_SECONDS } };
}

function observedSessionAffinityConfig(spec: ServiceSpecSnapshot): unknown {
  if (spec.sessionAffinityConfig === undefined) return null;
  const timeout = spec.sessionAffinityConfig.clientIP?.timeoutSeconds;
  return { clientIP: { timeoutSeconds: timeout ?? DEFAULT_CLIENT_IP_TIMEOUT_SECONDS } };
}

function desiredHealthCheckNodePort(ctx: FieldContext): number | null | undefined {
  // Only a LoadBalancer with externalTrafficPolicy Local has one; the server allocates it.
  if (!isLoadBalancer(ctx) || desiredExternalTrafficPolicy(ctx) !== "Local") return null;
  return ctx.swh.healthCheckNodePort;
}

/** Every managed spec field except clusterIP/clusterIPs, which are set only at creation. */
const FIELD_RULES: readonly FieldRule[] = [
  { field: "type", desired: c => c.type, observed: s => s.type ?? "ClusterIP" },
  {
    field: "selector",
    desired: () => null,
    observed: s => (Object.keys(s.selector ?? {}).length > 0 ? s.selector : null),
  },
  {
    field: "ports",
    desired: c => desiredPorts(c.swh, c.type, c.existing),
    observed: s => (s.ports ?? []).map(normalizePort),
  },
  {
    field: "ipFamilies",
    desired: c => nonEmpty(c.swh.ipFamilies) ?? undefined,
    observed: s => s.ipFamilies ?? null,
  },
  {
    field: "ipFamilyPolicy",
    desired: c => c.swh.ipFamilyPolicy,
    observed: s => s.ipFamilyPolicy ?? null,
  },
  {
    field: "sessionAffinity",
    desired: c => c.swh.sessionAffinity ?? "None",
    observed: s => s.sessionAffinity ?? "None",
  },
  {
    field: "sessionAffinityConfig",
    desired: desiredSessionAffinityConfig,
    observed: observedSessionAffinityConfig,
  },
  {
    field: "externalTrafficPolicy",
    desired: desiredExternalTrafficPolicy,
    observed: s => s.externalTrafficPolicy ?? null,
  },
  {
    field: "internalTrafficPolicy",
    desired: c => c.swh.internalTrafficPolicy ?? "Cluster",
    observed: s => s.internalTrafficPolicy ?? "Cluster",
  },
  {
    field: "externalIPs",
    desired: c => nonEmpty(c.swh.externalIPs),
    observed: s => nonEmpty(s.externalIPs),
  },
  {
    field: "loadBalancerIP",
    desired: c => (isLoadBalancer(c) ? (c.swh.loadBalancerIP ?? null) : null),
    observed: s => s.loadBalancerIP ?? null,
  },
  {
    field: "loadBalancerSourceRanges",
    desired: c => (isLoadBalancer(c) ? nonEmpty(c.swh.loadBalancerSourceRanges) : null),
    observed: s => nonEmpty(s.loadBalancerSourceRanges),
  },
  {
    field: "loadBalancerClass",
    desired: c => (isLoadBalancer(c) ? (c.swh.loadBalancerClass ?? null) : null),
    observed: s => s.loadBalancerClass ?? null,
  },
  {
    field: "allocateLoadBalancerNodePorts",
    desired: c => (isLoadBalancer(c) ? (c.swh.allocateLoadBalancerNodePorts ?? true) : null),
    observed: (s, c) => s.allocateLoadBalancerNodePorts ?? (isLoadBalancer(c) ? true : null),
  },
  {
    field: "healthCheckNodePort",
    desired: desiredHealthCheckNodePort,
    observed: s => s.healthCheckNodePort ?? null,
  },
  {
    field: "publishNotReadyAddresses",
    desired: c => c.swh.publishNotReadyAddresses ?? false,
    observed: s => s.publishNotReadyAddresses ?? false,
  },
  {
    field: "trafficDistribution",
    desired: c => c.swh.trafficDistribution ?? null,
    observed: s => s.trafficDistribution ?? null,
  },
];

/** The Service type the child must have (ClusterIP when the SWH does not say). */
export function childServiceType(swh: SwhSpec): string {
  return swh.type ?? "ClusterIP";
}

/**
 * The spec of a new child Service: every managed field with a value, plus clusterIP/clusterIPs
 * when the SWH asks for them (they cannot change later). No selector: a Service without one is
 * what keeps kube-controller-manager from publishing its own EndpointSlices.
 */
export function childServiceSpecForCreate(swh: SwhSpec): Record<string, unknown> {
  const ctx: FieldContext = { swh, type: childServiceType(swh) };
  const spec: Record<string, unknown> = {};
  for (const rule of FIELD_RULES) {
    const value = rule.desired(ctx);
    if (value !== undefined && value !== null) spec[rule.field] = value;
  }
  if (swh.clusterIP !== undefined) spec.clusterIP = swh.clusterIP;
  if (swh.clusterIPs !== undefined && swh.clusterIPs.length > 0) spec.clusterIPs = swh.clusterIPs;
  return spec;
}

/**
 * The `spec` part of a JSON merge patch that makes `existing` what the SWH asks for: only the
 * fields that differ, `null` for fields to remove. Lists (ports, externalIPs, ...) are sent
 * whole, as a merge patch replaces lists. Undefined when the spec is already right.
 */
export function childServiceSpecPatch(
  swh: SwhSpec,
  existing: ServiceSpecSnapshot,
): Record<string, unknown> | undefined {
  const ctx: FieldContext = { swh, type: childServiceType(swh), existing };
  const patch: Record<string, unknown> = {};
  for (const rule of FIELD_RULES) {
    const want = rule.desired(ctx);
    if (want === undefined) continue;
    if (!jsonEqual(want, rule.observed(existing, ctx))) patch[rule.field] = want;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/**
 * Why the API server would reject this SWH's child Service, or undefined when it would not.
 * The CRD validates the same rules at apply time; this guard keeps one bad object (say, from
 * before a CRD fix) from failing every hook run and blocking the operator's queue.
 */
export function childServiceSpecProblem(swh: SwhSpec): string | undefined {
  const headless = swh.clusterIP === "None";
  if ((swh.ports ?? []).length === 0 && !headless) {
    return "spec.ports is empty: a Service needs at least one port unless clusterIP is None";
  }
  if (headless && needsNodePorts(childServiceType(swh))) {
    return `spec.clusterIP None (headless) is not allowed with type ${childServiceType(swh)}`;
  }
  return undefined;
}
