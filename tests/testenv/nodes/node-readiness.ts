// Waits for the real nodes to join: each registers its Node, gets a pod range from the controller
// manager's node IPAM (then the root namespace routes that range to it) and reports Ready once
// containerd has written its CNI config from the range. Fails fast when a node's process dies.
import { CoreV1Api, type V1Node } from "@kubernetes/client-node";
import { setTimeout as sleep } from "node:timers/promises";
import { adminKubeConfig } from "../client.js";
import type { NodeNetworkPlan, NodeSpec } from "./plan.js";

/** The Ready condition's status and message of a Node. */
export function readiness(node: V1Node): { ready: boolean; message: string } {
  const ready = node.status?.conditions?.find(c => c.type === "Ready");
  return { ready: ready?.status === "True", message: ready?.message ?? "not registered" };
}

/**
 * Polls the nodes until every one is Ready, calling `route` once per node when its podCIDR
 * appears. `alive` is checked each round; a dead process fails the wait at once.
 */
export async function waitNodesReady(
  stateDir: string,
  plan: NodeNetworkPlan,
  hooks: {
    readonly route: (node: NodeSpec, cidr: string) => Promise<void>;
    readonly alive: () => string | undefined;
  },
  timeoutMs: number,
): Promise<void> {
  const api = adminKubeConfig(stateDir).makeApiClient(CoreV1Api);
  const routed = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = hooks.alive();
    if (dead) throw new Error(`the nodes could not join: ${dead}`);
    const nodes = new Map((await api.listNode()).items.map(n => [n.metadata?.name ?? "", n]));
    const waiting: string[] = [];
    for (const spec of plan.nodes) {
      const node = nodes.get(spec.name);
      const cidr = node?.spec?.podCIDR;
      if (cidr && !routed.has(spec.name)) {
        await hooks.route(spec, cidr);
        routed.add(spec.name);
      }
      const { ready, message } = node
        ? readiness(node)
        : { ready: false, message: "not registered" };
      if (!ready) waiting.push(`${spec.name}: ${message}`);
    }
    if (waiting.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`nodes not Ready after ${timeoutMs} ms: ${waiting.join("; ")}`);
    await sleep(500);
  }
}
