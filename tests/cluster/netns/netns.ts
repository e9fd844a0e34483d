// Builds and removes the pod network of a box with iproute2 (root only): a network namespace,
// a veth pair into it, routes to the pod range on both sides, and one address per pod inside the
// namespace. Nothing leaves the machine: the addresses exist only inside a namespace we create,
// and `removePodNetwork` checks that no namespace, link or route is left behind.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { withLock } from "../../testenv/lock.js";
import {
  chooseOctet,
  podAddressCommand,
  podAddresses,
  podNetworkPlan,
  returnRouteCommand,
  setupCommands,
  setupIpv6Commands,
  teardownCommands,
  type PodAddresses,
  type PodNetworkPlan,
} from "./plan.js";

const run = promisify(execFile);

/** Runs `ip <args>` and returns stdout; errors carry the command and its stderr. */
export async function ip(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run("ip", [...args], { timeout: 30_000 });
    return stdout;
  } catch (err) {
    const stderr = ((err as { stderr?: string }).stderr ?? "").trim();
    throw new Error(`ip ${args.join(" ")} failed: ${stderr || String(err)}`, { cause: err });
  }
}

/** Parses `ip -j ...` output (empty output means an empty list). */
function parseJsonList(text: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  return JSON.parse(trimmed) as Record<string, unknown>[];
}

/** Destinations of every route in the root namespace, both families. */
export async function routedDestinations(): Promise<string[]> {
  const v4 = parseJsonList(await ip(["-j", "route", "show", "table", "all"]));
  const v6 = parseJsonList(await ip(["-j", "-6", "route", "show", "table", "all"]).catch(() => ""));
  return [...v4, ...v6].map(r => (typeof r.dst === "string" ? r.dst : "")).filter(d => d !== "");
}

/** Names of the network namespaces that exist. */
export async function netnsNames(): Promise<string[]> {
  return parseJsonList(await ip(["-j", "netns", "list"])).map(n => String(n.name));
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      "the cluster's pod network needs root (ip netns, veth); run as root or in a CI container",
    );
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

/** Addresses configured on the pod-side veth. */
export async function podNetworkAddresses(plan: PodNetworkPlan): Promise<string[]> {
  const text = await ip([
    "netns",
    "exec",
    plan.netns,
    "ip",
    "-j",
    "addr",
    "show",
    "dev",
    plan.vethPod,
  ]);
  const out: string[] = [];
  for (const link of parseJsonList(text)) {
    for (const info of (link.addr_info as { local?: string }[] | undefined) ?? []) {
      if (info.local) out.push(info.local);
    }
  }
  return out;
}

/**
 * Gives a new pod of node `nodeIndex` the lowest free host address of that node's range (and an
 * IPv6 twin when `dualStack`), configured inside the namespace. Serialised across processes by
 * `lockFile`, so concurrent test files never get the same address.
 */
export async function allocatePodAddresses(
  plan: PodNetworkPlan,
  nodeIndex: number,
  opts: { readonly dualStack: boolean; readonly lockFile: string },
): Promise<PodAddresses> {
  return withLock(opts.lockFile, 60_000, async () => {
    const used = new Set(await podNetworkAddresses(plan));
    for (let host = 2; host <= 254; host++) {
      const addresses = podAddresses(plan, nodeIndex, host, opts.dualStack);
      if (used.has(addresses.ipv4)) continue;
      await ip(podAddressCommand(plan, addresses.ipv4, "add"));
      // Networks built before the anchor address existed may have lost the route: restore it.
      await ip(returnRouteCommand(plan));
      if (addresses.ipv6) await ip(podAddressCommand(plan, addresses.ipv6, "add"));
      return addresses;
    }
    throw new Error(`no free pod address left on node ${nodeIndex} in ${plan.ipv4.cidr}`);
  });
}

/** Removes a pod's addresses from the namespace (missing ones are ignored). */
export async function releasePodAddresses(
  plan: PodNetworkPlan,
  addresses: PodAddresses,
): Promise<void> {
  for (const address of [addresses.ipv4, addresses.ipv6]) {
    if (address) await ip(podAddressCommand(plan, address, "del")).catch(() => undefined);
  }
}
