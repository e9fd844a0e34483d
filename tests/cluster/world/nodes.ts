// Fake nodes: Node objects that look like a kubelet registered them (Ready, addresses, pod CIDRs
// in the pod network) — no kubelet runs. Node lifecycle is off in the box, so they stay Ready.
import type { KubeRest } from "swh-kube-client";
import { apply, mergePatch } from "../kube.js";
import { nodePodCidr, nodePodCidrV6, type PodNetworkPlan } from "../netns/plan.js";
import type { NodeRecord } from "../state.js";

/** The fake nodes of every world. */
export const NODES: readonly NodeRecord[] = [
  { name: "node-1", index: 1 },
  { name: "node-2", index: 2 },
  { name: "node-3", index: 3 },
];

/** The Node object of a fake node (without status). */
export function nodeManifest(node: NodeRecord, plan: PodNetworkPlan): Record<string, unknown> {
  const v6 = nodePodCidrV6(plan, node.index);
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: node.name,
      labels: {
        "kubernetes.io/hostname": node.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node-role.kubernetes.io/worker": "",
      },
    },
    spec: {
      podCIDR: nodePodCidr(plan, node.index),
      podCIDRs: [nodePodCidr(plan, node.index), ...(v6 ? [v6] : [])],
    },
  };
}

/** The status a kubelet would report: Ready, with the node side of the pod network as address. */
export function nodeStatus(
  node: NodeRecord,
  plan: PodNetworkPlan,
  now: Date,
): Record<string, unknown> {
  const time = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const condition = (type: string, status: string, reason: string): Record<string, string> => ({
    type,
    status,
    reason,
    message: reason,
    lastHeartbeatTime: time,
    lastTransitionTime: time,
  });
  return {
    status: {
      conditions: [
        condition("Ready", "True", "KubeletReady"),
        condition("MemoryPressure", "False", "KubeletHasSufficientMemory"),
        condition("DiskPressure", "False", "KubeletHasNoDiskPressure"),
        condition("PIDPressure", "False", "KubeletHasSufficientPID"),
      ],
      addresses: [
        { type: "InternalIP", address: plan.ipv4.nodeAddress },
        { type: "Hostname", address: node.name },
      ],
      capacity: { cpu: "2", memory: "4Gi", pods: "110" },
      allocatable: { cpu: "2", memory: "4Gi", pods: "110" },
      nodeInfo: {
        architecture: "amd64",
        operatingSystem: "linux",
        kubeletVersion: "v1.34.10",
        kubeProxyVersion: "",
        containerRuntimeVersion: "none://cluster-in-a-box",
        kernelVersion: "",
        osImage: "cluster in a box",
        bootID: "",
        machineID: "",
        systemUUID: "",
      },
    },
  };
}

/** Creates (or updates) the fake nodes and reports them Ready. */
export async function ensureNodes(
  rest: KubeRest,
  plan: PodNetworkPlan,
  nodes = NODES,
): Promise<void> {
  for (const node of nodes) {
    await apply(rest, `/api/v1/nodes/${node.name}`, nodeManifest(node, plan));
    await mergePatch(rest, `/api/v1/nodes/${node.name}/status`, nodeStatus(node, plan, new Date()));
  }
}
