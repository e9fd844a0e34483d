// The cluster benchmark's pod network, as pure data: which network namespace, veth pair and
// address ranges it uses, and the `ip` commands that build and remove it. The benchmark's
// thousand pods are API objects on its hollow node (no kubelet): the API server rejects loopback
// addresses in EndpointSlices, so their addresses sit in a network namespace of the benchmark's
// own, reached from the root namespace (where its agent runs) over a veth pair, like a node
// reaching its pods. Kept free of I/O so the naming and command lists are unit-tested.
import { createHash } from "node:crypto";
import { ipv4Cidr, ipv6Cidr } from "../../../tests/testenv/net/ranges.js";

/** IPv4 or IPv6 half of the pod network. */
export interface FamilyPlan {
  /** Routed range, e.g. `10.244.0.0/16` or `fd00:10:244::/48`. */
  readonly cidr: string;
  /** The node side of the veth (root namespace), e.g. `10.244.255.1`. */
  readonly nodeAddress: string;
}

/** Everything `up` creates and `down` removes. */
export interface PodNetworkPlan {
  /** Network namespace name (`swh-<id>`). */
  readonly netns: string;
  /** veth end in the root namespace (≤ 15 characters). */
  readonly vethRoot: string;
  /** veth end inside the namespace (≤ 15 characters). */
  readonly vethPod: string;
  /** Second octet of the IPv4 range (244 → 10.244.0.0/16). */
  readonly octet: number;
  readonly ipv4: FamilyPlan;
  /** Present when IPv6 works here (a ULA range mirroring the IPv4 octet). */
  readonly ipv6?: FamilyPlan;
}

/** Linux interface names are at most 15 bytes. */
export const MAX_INTERFACE_NAME = 15;

/** Short stable id for a state dir: 6 hex digits of its SHA-256. */
export function boxId(stateDir: string): string {
  return createHash("sha256").update(stateDir).digest("hex").slice(0, 6);
}

/** Names of the namespace and veth ends for a box id. */
export function networkNames(id: string): Pick<PodNetworkPlan, "netns" | "vethRoot" | "vethPod"> {
  const names = { netns: `swh-${id}`, vethRoot: `swh${id}n`, vethPod: `swh${id}p` };
  if (names.vethRoot.length > MAX_INTERFACE_NAME || names.vethPod.length > MAX_INTERFACE_NAME) {
    throw new Error(`box id ${JSON.stringify(id)} makes interface names over 15 characters`);
  }
  return names;
}

/** The plan for a box id and a chosen octet. */
export function podNetworkPlan(id: string, octet: number, withIpv6: boolean): PodNetworkPlan {
  return {
    ...networkNames(id),
    octet,
    ipv4: { cidr: ipv4Cidr(octet), nodeAddress: `10.${octet}.255.1` },
    ...(withIpv6
      ? { ipv6: { cidr: ipv6Cidr(octet), nodeAddress: `fd00:10:${octet}:ffff::1` } }
      : {}),
  };
}

/** Addresses of one pod: node index 1..250 picks a /24 (IPv4) and a /64 (IPv6); host 2..254. */
export interface PodAddresses {
  readonly ipv4: string;
  readonly ipv6?: string;
}

/** The pod addresses for (node index, host number) in a plan. */
export function podAddresses(
  plan: PodNetworkPlan,
  nodeIndex: number,
  host: number,
  dualStack: boolean,
): PodAddresses {
  if (!Number.isInteger(nodeIndex) || nodeIndex < 1 || nodeIndex > 250) {
    throw new Error(`node index ${nodeIndex} out of 1..250`);
  }
  if (!Number.isInteger(host) || host < 2 || host > 254)
    throw new Error(`host ${host} out of 2..254`);
  const ipv4 = `10.${plan.octet}.${nodeIndex}.${host}`;
  if (!dualStack) return { ipv4 };
  if (!plan.ipv6) throw new Error("a dual-stack pod needs IPv6 in the pod network");
  return { ipv4, ipv6: `fd00:10:${plan.octet}:${nodeIndex}::${host.toString(16)}` };
}

/** The IPv4 /24 of a node (its `spec.podCIDR`). */
export function nodePodCidr(plan: PodNetworkPlan, nodeIndex: number): string {
  return `10.${plan.octet}.${nodeIndex}.0/24`;
}

/** The IPv6 /64 of a node (second entry of `spec.podCIDRs`). */
export function nodePodCidrV6(plan: PodNetworkPlan, nodeIndex: number): string | undefined {
  return plan.ipv6 ? `fd00:10:${plan.octet}:${nodeIndex}::/64` : undefined;
}

/** `ip` argument lists that build the IPv4 part of the network, in order. */
export function setupCommands(plan: PodNetworkPlan): string[][] {
  const { netns, vethRoot, vethPod, ipv4 } = plan;
  return [
    ["netns", "add", netns],
    ["netns", "exec", netns, "ip", "link", "set", "lo", "up"],
    ["link", "add", vethRoot, "type", "veth", "peer", "name", vethPod],
    ["link", "set", vethPod, "netns", netns],
    ["link", "set", vethRoot, "up"],
    ["netns", "exec", netns, "ip", "link", "set", vethPod, "up"],
    ["addr", "add", `${ipv4.nodeAddress}/32`, "dev", vethRoot],
    ["route", "add", ipv4.cidr, "dev", vethRoot],
    // A permanent address on the pod side: Linux flushes a device's IPv4 routes when its last
    // IPv4 address goes, which would happen whenever the last pod is deleted.
    ["netns", "exec", netns, "ip", "addr", "add", `${anchorAddress(plan)}/32`, "dev", vethPod],
    returnRouteCommand(plan),
  ];
}

/** The pod side's permanent address (never a pod's: hosts .2-.254 of node ranges 1-250). */
export function anchorAddress(plan: Pick<PodNetworkPlan, "octet">): string {
  return `10.${plan.octet}.255.2`;
}

/** The route back to the node side, inside the namespace (`replace`: idempotent). */
export function returnRouteCommand(plan: PodNetworkPlan): string[] {
  return [
    "netns",
    "exec",
    plan.netns,
    "ip",
    "route",
    "replace",
    `${plan.ipv4.nodeAddress}/32`,
    "dev",
    plan.vethPod,
  ];
}

/** `ip` argument lists that add IPv6 to a built network (no DAD: the link is point-to-point). */
export function setupIpv6Commands(plan: PodNetworkPlan): string[][] {
  if (!plan.ipv6) return [];
  const { netns, vethRoot, vethPod, ipv6 } = plan;
  return [
    ["-6", "addr", "add", `${ipv6.nodeAddress}/128`, "dev", vethRoot, "nodad"],
    ["-6", "route", "add", ipv6.cidr, "dev", vethRoot],
    ["netns", "exec", netns, "ip", "-6", "route", "add", `${ipv6.nodeAddress}/128`, "dev", vethPod],
  ];
}

/** Adds or removes a pod address inside the namespace. */
export function podAddressCommand(
  plan: PodNetworkPlan,
  address: string,
  action: "add" | "del",
): string[] {
  const family = address.includes(":") ? ["-6"] : [];
  const length = address.includes(":") ? 128 : 32;
  const extra = address.includes(":") && action === "add" ? ["nodad"] : [];
  return [
    "netns",
    "exec",
    plan.netns,
    "ip",
    ...family,
    "addr",
    action,
    `${address}/${length}`,
    "dev",
    plan.vethPod,
    ...extra,
  ];
}

/**
 * `ip` argument lists that remove everything, in order; each may fail harmlessly when its object
 * is already gone. Deleting the root veth end deletes its peer and the routes through it.
 */
export function teardownCommands(plan: PodNetworkPlan): string[][] {
  const commands = [
    ["route", "del", plan.ipv4.cidr, "dev", plan.vethRoot],
    ["link", "del", plan.vethRoot],
    ["netns", "del", plan.netns],
  ];
  if (plan.ipv6) commands.unshift(["-6", "route", "del", plan.ipv6.cidr, "dev", plan.vethRoot]);
  return commands;
}
