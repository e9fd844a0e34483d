// Builds and removes the cluster benchmark's pod network with iproute2 (root only): a network
// namespace, a veth pair into it and routes to the pod range on both sides (the benchmark adds one
// address per pod inside the namespace). Nothing leaves the machine: the addresses exist only
// inside a namespace created here, and `removePodNetwork` checks that no namespace, link or route
// is left behind.
import { setTimeout as sleep } from "node:timers/promises";
import {
  ip,
  netnsNames,
  parseJsonList,
  routedDestinations,
} from "../../../tests/testenv/net/ip.js";
import { chooseOctet } from "../../../tests/testenv/net/ranges.js";
import {
  podNetworkPlan,
  setupCommands,
  setupIpv6Commands,
  teardownCommands,
  type PodNetworkPlan,
} from "./plan.js";

function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error("the benchmark's pod network needs root (ip netns, veth); run as root");
  }
}

async function runAll(commands: readonly string[][]): Promise<void> {
  for (const args of commands) await ip(args);
}

async function tryIpv6(plan: PodNetworkPlan): Promise<PodNetworkPlan> {
  try {
    await runAll(setupIpv6Commands(plan));
    return plan;
  } catch {
    // IPv6 disabled here: keep an IPv4-only network (dual-stack pods are then unavailable).
    for (const args of teardownCommands(plan).filter(c => c[0] === "-6")) {
      await ip(args).catch(() => undefined);
    }
    return { ...plan, ipv6: undefined };
  }
}

/**
 * Creates the pod network for box `id`: picks the first 10.<244..254>.0.0/16 range (and its
 * fd00:10:<n>::/48 twin) that no route covers, then builds namespace, veth and routes. On a
 * failure, removes what it built and throws.
 */
export async function createPodNetwork(id: string): Promise<PodNetworkPlan> {
  requireRoot();
  const routes = await routedDestinations();
  const octet = chooseOctet(routes, true);
  const plan = podNetworkPlan(id, octet, true);
  if ((await netnsNames()).includes(plan.netns)) {
    throw new Error(`network namespace ${plan.netns} exists already; run down first`);
  }
  try {
    await runAll(setupCommands(plan));
  } catch (err) {
    await removePodNetwork(plan).catch(() => undefined);
    throw new Error(`creating the pod network ${plan.netns} (${plan.ipv4.cidr}) failed`, {
      cause: err,
    });
  }
  return tryIpv6(plan);
}

/** What of a pod network still exists (empty when fully removed). */
export async function podNetworkLeftovers(plan: PodNetworkPlan): Promise<string[]> {
  const left: string[] = [];
  if ((await netnsNames()).includes(plan.netns)) left.push(`netns ${plan.netns}`);
  const links = parseJsonList(await ip(["-j", "link", "show"])).map(l => String(l.ifname));
  if (links.includes(plan.vethRoot)) left.push(`link ${plan.vethRoot}`);
  const routes = await routedDestinations();
  if (routes.includes(plan.ipv4.cidr)) left.push(`route ${plan.ipv4.cidr}`);
  if (plan.ipv6 && routes.includes(plan.ipv6.cidr)) left.push(`route ${plan.ipv6.cidr}`);
  return left;
}

/**
 * Removes namespace, veth pair and routes (each step tolerates an already missing object), then
 * waits until nothing is left (the kernel frees a namespace asynchronously); throws naming
 * leftovers after 10 s.
 */
export async function removePodNetwork(plan: PodNetworkPlan): Promise<void> {
  for (const args of teardownCommands(plan)) await ip(args).catch(() => undefined);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const left = await podNetworkLeftovers(plan);
    if (left.length === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(`pod network ${plan.netns} not fully removed: ${left.join(", ")}`);
    }
    // A link that outlived its namespace (a process held it) is removed directly.
    if (left.some(l => l.startsWith("link ")))
      await ip(["link", "del", plan.vethRoot]).catch(() => undefined);
    await sleep(200);
  }
}
