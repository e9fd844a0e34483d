// The cluster benchmark's hollow node (as kubemark's): a Node object that looks like a kubelet
// registered it (Ready, addresses, a pod CIDR in the benchmark's pod network), with no kubelet:
// the benchmark's own agent process serves it, probing a thousand pods that are API objects whose
// addresses live in the pod network (pod-network/). The benchmark's box runs no real nodes, so no
// node lifecycle controller marks it NotReady.
import type { KubeRest } from "swh-kube-client";
import { apply, mergePatch } from "../../tests/cluster/kube.js";
import { nodePodCidr, nodePodCidrV6, type PodNetworkPlan } from "./pod-network/plan.js";

/** A hollow node: its name and index (which picks its pod range). */
export interface NodeRecord {
  readonly name: string;
  /** 1-based; picks the node's pod range. */
  readonly index: number;
}

/** The Node object of a hollow node (without status). */
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

/** Creates (or updates) the hollow nodes and reports them Ready. */
export async function ensureNodes(
  rest: KubeRest,
  plan: PodNetworkPlan,
  nodes: readonly NodeRecord[],
): Promise<void> {
  for (const node of nodes) {
    await apply(rest, `/api/v1/nodes/${node.name}`, nodeManifest(node, plan));
    await mergePatch(rest, `/api/v1/nodes/${node.name}/status`, nodeStatus(node, plan, new Date()));
  }
}
