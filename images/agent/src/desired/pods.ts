// The agent's view of a Pod and the pure rules around it: which pods are endpoint candidates,
// how a Service selector matches, which address families a pod has, and how a named targetPort
// resolves against the pod's declared container ports. The pod informer stores PodSnapshots
// (filtered at the edge), never full Pod objects, so the cache stays small.

import { BlockList, isIPv4, isIPv6 } from "node:net";
import { isRecord, type RawContainer, type RawPod } from "swh-kube-client";
import { ANNOTATION_DRAIN_FROM } from "../../../../api/contract.js";
import { parseDrainFrom, type DrainSelection } from "./drain.js";

/** An IP family, as in Service.spec.ipFamilies and EndpointSlice.addressType. */
export type AddressFamily = "IPv4" | "IPv6";

/** One port a container declares. */
export interface ContainerPort {
  readonly name: string;
  readonly port: number;
  /** TCP, UDP or SCTP (TCP when unset). */
  readonly protocol: string;
}

/** What the agent keeps of a Pod. */
export interface PodSnapshot {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly phase: string;
  /** status.podIPs (or status.podIP), in the pod's order. */
  readonly ips: readonly string[];
  /** The PodReady condition is True. */
  readonly ready: boolean;
  /** metadata.deletionTimestamp is set. */
  readonly terminating: boolean;
  /** status.startTime in epoch milliseconds, when known. */
  readonly startedAtMs?: number;
  /** Ports declared by the containers (and restartable init containers, i.e. sidecars). */
  readonly ports: readonly ContainerPort[];
  /** The parsed drain annotation (desired/drain.ts), when it lists anything. */
  readonly drainFrom?: DrainSelection;
}

function containerPorts(containers: readonly RawContainer[] | undefined): ContainerPort[] {
  const out: ContainerPort[] = [];
  for (const container of containers ?? []) {
    for (const p of container.ports ?? []) {
      if (typeof p.containerPort !== "number") continue;
      out.push({ name: p.name ?? "", port: p.containerPort, protocol: p.protocol ?? "TCP" });
    }
  }
  return out;
}

function podIPs(status: RawPod["status"]): string[] {
  const ips = (status?.podIPs ?? []).map(entry => entry.ip ?? "").filter(ip => ip !== "");
  if (ips.length === 0 && status?.podIP) ips.push(status.podIP);
  return ips;
}

function parseTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function isReady(pod: RawPod): boolean {
  return (pod.status?.conditions ?? []).some(c => c.type === "Ready" && c.status === "True");
}

function declaredPorts(pod: RawPod): ContainerPort[] {
  const sidecars = (pod.spec?.initContainers ?? []).filter(c => c.restartPolicy === "Always");
  return [...containerPorts(pod.spec?.containers), ...containerPorts(sidecars)];
}

/** The pod's parsed drain annotation, as PodSnapshot fields (none when it drains nothing). */
function drainOf(pod: RawPod): Pick<PodSnapshot, "drainFrom"> {
  const drainFrom = parseDrainFrom(pod.metadata?.annotations?.[ANNOTATION_DRAIN_FROM]);
  return drainFrom === undefined ? {} : { drainFrom };
}

/** Filters a raw Pod into a PodSnapshot; undefined when it lacks identity. */
export function podSnapshot(raw: unknown): PodSnapshot | undefined {
  if (!isRecord(raw)) return undefined;
  const pod = raw as RawPod;
  const meta = pod.metadata ?? {};
  if (!meta.uid || !meta.name || !meta.namespace) return undefined;
  const startedAtMs = parseTime(pod.status?.startTime);
  return {
    uid: meta.uid,
    name: meta.name,
    namespace: meta.namespace,
    labels: meta.labels ?? {},
    phase: pod.status?.phase ?? "",
    ips: podIPs(pod.status),
    ready: isReady(pod),
    terminating: typeof meta.deletionTimestamp === "string",
    ...(startedAtMs === undefined ? {} : { startedAtMs }),
    ports: declaredPorts(pod),
    ...drainOf(pod),
  };
}

/**
 * A pod is an endpoint candidate when it has an IP and has not finished (phase not Failed or
 * Succeeded: a finished VM pod's IP may already belong to another pod). Readiness does not
 * matter here; terminating pods stay candidates and are published as terminating.
 */
export function isCandidate(pod: PodSnapshot): boolean {
  return pod.ips.length > 0 && pod.phase !== "Failed" && pod.phase !== "Succeeded";
}

/**
 * Service selector semantics: every key must match. An absent or empty selector selects
 * nothing (a Service without a selector gets no managed endpoints).
 */
export function selectorMatches(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!selector) return false;
  const entries = Object.entries(selector);
  if (entries.length === 0) return false;
  return entries.every(([key, value]) => labels[key] === value);
}

/** The family of an IP literal, undefined when it is not one. */
export function addressFamily(ip: string): AddressFamily | undefined {
  if (isIPv4(ip)) return "IPv4";
  if (isIPv6(ip)) return "IPv6";
  return undefined;
}

/**
 * Addresses the EndpointSlice API rejects (unspecified, loopback, link-local, multicast). A pod
 * with one (host-network oddities, test setups) must not make its whole slice fail validation.
 */
const UNPUBLISHABLE = (() => {
  const list = new BlockList();
  list.addSubnet("0.0.0.0", 8, "ipv4");
  list.addSubnet("127.0.0.0", 8, "ipv4");
  list.addSubnet("169.254.0.0", 16, "ipv4");
  list.addSubnet("224.0.0.0", 4, "ipv4");
  list.addAddress("::", "ipv6");
  list.addAddress("::1", "ipv6");
  list.addSubnet("fe80::", 10, "ipv6");
  list.addSubnet("ff00::", 8, "ipv6");
  return list;
})();

/** True when an EndpointSlice may carry `ip`. */
export function publishable(ip: string): boolean {
  const family = addressFamily(ip);
  if (!family) return false;
  return !UNPUBLISHABLE.check(ip, family === "IPv4" ? "ipv4" : "ipv6");
}

/** One publishable address per family (the first of each), in the pod's order. */
export function addressesByFamily(pod: PodSnapshot): Array<[AddressFamily, string]> {
  const out: Array<[AddressFamily, string]> = [];
  for (const ip of pod.ips) {
    const family = addressFamily(ip);
    if (family && publishable(ip) && !out.some(([f]) => f === family)) out.push([family, ip]);
  }
  return out;
}

/** A resolved port number, or why it could not be resolved. */
export type PortResolution = { readonly port: number } | { readonly error: string };

/**
 * Resolves a targetPort for one pod: a number is used as is; a name is looked up among the pod's
 * container ports with the same protocol (as Kubernetes' FindPort does); an absent target falls
 * back to `fallback` (the Service port).
 */
export function resolveTargetPort(
  pod: PodSnapshot,
  target: number | string | undefined,
  fallback: number,
  protocol = "TCP",
): PortResolution {
  if (target === undefined || target === "" || target === 0) return { port: fallback };
  if (typeof target === "number") return { port: target };
  if (/^\d+$/.test(target)) return { port: Number(target) };
  const found = pod.ports.find(p => p.name === target && p.protocol === protocol);
  if (found) return { port: found.port };
  return { error: `named port "${target}" (${protocol}) is not declared by pod ${pod.name}` };
}
