// The real nodes of one box, as pure data: which network namespace, veth, address and zone each
// node gets, the node network's bridge, the cluster's pod range, and the `ip` commands that build
// and remove it all. Every node is a network namespace on a bridge in the root namespace (the
// "switch"); the root namespace routes each node's pod range to that node, the way a simple
// routed CNI does, and holds the API server's address on the bridge (the gateway). Nothing leaves
// the machine. Kept free of I/O so names, ranges and command lists are unit-tested.
import { createHash } from "node:crypto";

/** One real node. */
export interface NodeSpec {
  /** Node name (`node-<index>`), also the kubelet's hostname. */
  readonly name: string;
  /** 1-based. */
  readonly index: number;
  /** Network namespace the node's containerd, kubelet and kube-proxy run in. */
  readonly netns: string;
  /** The veth end on the bridge, in the root namespace (≤ 15 characters). */
  readonly vethHost: string;
  /** The node's address on the node network (its InternalIP). */
  readonly address: string;
  /** `topology.kubernetes.io/zone` label. */
  readonly zone: string;
}

/** The node network of a box. */
export interface NodeNetworkPlan {
  /** Second octet: the box owns 10.<octet>.0.0/16. */
  readonly octet: number;
  /** Bridge in the root namespace joining every node (≤ 15 characters). */
  readonly bridge: string;
  /** The bridge's address: the nodes' default gateway and the API server's advertised address. */
  readonly gateway: string;
  /** Node network, e.g. `10.250.255.0/24`. */
  readonly nodeCidr: string;
  /** Pods' range (kube-controller-manager's `--cluster-cidr`), e.g. `10.250.0.0/17`. */
  readonly clusterCidr: string;
  readonly nodes: readonly NodeSpec[];
}

/** Zones the nodes are spread over, round robin: two zones, so topology has a choice. */
export const ZONES: readonly string[] = ["zone-a", "zone-b"];
/** Mask of each node's pod range, as kube-controller-manager's node IPAM hands them out. */
export const NODE_CIDR_MASK = 24;
/** Linux interface names are at most 15 bytes. */
const MAX_INTERFACE_NAME = 15;

/** Short stable id of a state dir: 6 hex digits of its SHA-256. */
export function nodeNetworkId(stateDir: string): string {
  return createHash("sha256").update(`nodes:${stateDir}`).digest("hex").slice(0, 6);
}

/** The plan for `count` nodes of the box in `stateDir` on 10.<octet>.0.0/16. */
export function nodeNetworkPlan(stateDir: string, octet: number, count: number): NodeNetworkPlan {
  if (!Number.isInteger(count) || count < 1 || count > 9) {
    throw new Error(`node count must be 1..9, got ${count}`);
  }
  const id = nodeNetworkId(stateDir);
  const nodes = Array.from({ length: count }, (_, i): NodeSpec => {
    const index = i + 1;
    return {
      name: `node-${index}`,
      index,
      netns: `swh-${id}-node-${index}`,
      vethHost: `swh${id}v${index}`,
      address: `10.${octet}.255.${10 + index}`,
      zone: ZONES[i % ZONES.length] ?? "zone-a",
    };
  });
  const plan = {
    octet,
    bridge: `swh${id}b`,
    gateway: `10.${octet}.255.1`,
    nodeCidr: `10.${octet}.255.0/24`,
    clusterCidr: `10.${octet}.0.0/17`,
    nodes,
  };
  for (const name of [plan.bridge, ...nodes.map(n => n.vethHost)]) {
    if (name.length > MAX_INTERFACE_NAME) throw new Error(`interface name ${name} is too long`);
  }
  return plan;
}

/** `ip` commands (arguments after `ip`) creating the bridge and every node's namespace. */
export function networkUpCommands(plan: NodeNetworkPlan): string[][] {
  const commands: string[][] = [
    ["link", "add", plan.bridge, "type", "bridge"],
    ["addr", "add", `${plan.gateway}/24`, "dev", plan.bridge],
    ["link", "set", plan.bridge, "up"],
  ];
  for (const node of plan.nodes) commands.push(...nodeUpCommands(plan, node));
  return commands;
}

/** A node's namespace, its veth onto the bridge (eth0 inside), address and default route. */
function nodeUpCommands(plan: NodeNetworkPlan, node: NodeSpec): string[][] {
  const inNode = (...args: string[]): string[] => ["-n", node.netns, ...args];
  return [
    ["netns", "add", node.netns],
    ["link", "add", node.vethHost, "type", "veth", "peer", "name", "eth0", "netns", node.netns],
    ["link", "set", node.vethHost, "master", plan.bridge, "up"],
    inNode("link", "set", "lo", "up"),
    inNode("addr", "add", `${node.address}/24`, "dev", "eth0"),
    inNode("link", "set", "eth0", "up"),
    inNode("route", "add", "default", "via", plan.gateway),
  ];
}

/** The root namespace's route to one node's pod range. */
export function podRouteCommand(node: NodeSpec, podCidr: string): string[] {
  return ["route", "replace", podCidr, "via", node.address];
}

/**
 * `ip` commands removing what networkUpCommands made (deleting a namespace deletes its veth
 * pair; the routes via a node go with its veth). Each may fail when already gone.
 */
export function networkDownCommands(plan: NodeNetworkPlan): string[][] {
  return [
    ...plan.nodes.map(node => ["netns", "delete", node.netns]),
    ...plan.nodes.map(node => ["link", "delete", node.vethHost]),
    ["link", "delete", plan.bridge],
  ];
}
