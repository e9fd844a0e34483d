// Builds and removes the node network of a box with iproute2 (root only): the bridge, one network
// namespace per node with its veth, and the root namespace's routes to each node's pod range.
// The range is chosen under a machine-wide lock, so two boxes starting at once never pick the
// same one.
import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import { chooseOctet } from "../net/ranges.js";
import { ip, netnsNames, routedDestinations } from "../net/ip.js";
import { cacheDir } from "../layout.js";
import { withLock } from "../lock.js";
import {
  networkDownCommands,
  networkUpCommands,
  nodeNetworkPlan,
  podRouteCommand,
  type NodeNetworkPlan,
  type NodeSpec,
} from "./plan.js";

/** Lets the root namespace route between nodes (and to the API server on the bridge). */
async function enableForwarding(): Promise<void> {
  await writeFile("/proc/sys/net/ipv4/ip_forward", "1\n");
}

/** Picks a free 10.<octet>.0.0/16 and builds the bridge and every node's namespace. */
export async function createNodeNetwork(stateDir: string, count: number): Promise<NodeNetworkPlan> {
  if (process.getuid?.() !== 0) throw new Error("real nodes need root (network namespaces)");
  return withLock(join(cacheDir(), "network.lock"), 60_000, async () => {
    const plan = nodeNetworkPlan(stateDir, chooseOctet(await routedDestinations(), false), count);
    const existing = await netnsNames();
    const clash = plan.nodes.find(n => existing.includes(n.netns));
    if (clash) throw new Error(`network namespace ${clash.netns} exists already; run down first`);
    try {
      await enableForwarding();
      for (const args of networkUpCommands(plan)) await ip(args);
    } catch (err) {
      await removeNodeNetwork(plan);
      throw new Error(`creating the node network ${plan.bridge} failed`, { cause: err });
    }
    return plan;
  });
}

/** Removes the node network; each step tolerates what is already gone. */
export async function removeNodeNetwork(plan: NodeNetworkPlan): Promise<void> {
  for (const args of networkDownCommands(plan)) await ip(args).catch(() => undefined);
}

/** Routes a node's pod range to it from the root namespace. */
export async function addPodRoute(node: NodeSpec, podCidr: string): Promise<void> {
  await ip(podRouteCommand(node, podCidr));
}
