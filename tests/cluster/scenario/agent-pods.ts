// The agents of a world on real nodes: the pods of the chart's DaemonSet
// (d8-service-with-healthchecks/agent, one per node), as the API server says they are — pod uid,
// address, the agent container's id, restarts and readiness, which is the kubelet's view — and the
// agent's process as the host sees it (a container's processes are host processes in the node's
// cgroup tree), so that a scenario can tell "the same process lived through it" without the API.
import { readFileSync } from "node:fs";
import { MODULE_NAMESPACE } from "../../../api/contract.js";
import { listItems } from "../kube.js";
import type { World } from "../world/handle.js";
import { boxNodePlan } from "../world/real-nodes.js";
import { hostProcesses } from "./host-processes.js";

/** The agent's script in its image (images/agent/Dockerfile): an argument of its process. */
const AGENT_SCRIPT = "/agent/agent.mjs";
/** The agent's health port (templates/_helpers.tpl swh.healthPort), on every pod address. */
export const AGENT_HEALTH_PORT = 9873;
/** kube-rbac-proxy's port in front of the agent's metrics (swh.rbacProxyPort). */
export const AGENT_METRICS_PORT = 8383;

/** One agent pod. */
export interface AgentPod {
  readonly node: string;
  readonly name: string;
  readonly uid: string;
  readonly ip: string;
  /** The `agent` container as the kubelet reported it. */
  readonly containerId: string;
  readonly restartCount: number;
  readonly ready: boolean;
  /** The agent's process, host pid. */
  readonly hostPid: number;
}

interface PodJson {
  readonly metadata: { readonly name: string; readonly uid: string };
  readonly spec: { readonly nodeName?: string };
  readonly status?: {
    readonly podIP?: string;
    readonly containerStatuses?: readonly {
      readonly name: string;
      readonly ready?: boolean;
      readonly restartCount?: number;
      readonly containerID?: string;
    }[];
  };
}

/** The agent pods' label selector (templates/agent/daemonset.yaml). */
export const AGENT_SELECTOR = "app=agent";

/** True while `pid` is a process running the agent. */
export function agentProcessAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(AGENT_SCRIPT);
  } catch {
    return false;
  }
}

/** The agent pod of every node of `nodes`, in that order; throws unless each has exactly one. */
export async function agentPods(world: World, nodes: readonly string[]): Promise<AgentPod[]> {
  const plan = await boxNodePlan(world.layout.stateDir);
  if (!plan) throw new Error("this world runs no real nodes");
  const pods = await listItems<PodJson>(
    world.rest,
    `/api/v1/namespaces/${MODULE_NAMESPACE}/pods`,
    AGENT_SELECTOR,
  );
  return nodes.map(node => {
    const onNode = pods.filter(p => p.spec.nodeName === node);
    const pod = onNode[0];
    const agent = pod?.status?.containerStatuses?.find(c => c.name === "agent");
    const netns = plan.nodes.find(n => n.name === node)?.netns;
    const pids = netns ? hostProcesses(AGENT_SCRIPT, [`/${netns}`]) : [];
    if (onNode.length !== 1 || !pod?.status?.podIP || !agent?.containerID || pids.length !== 1) {
      throw new Error(
        `expected one running agent pod and process on ${node}: ${onNode.length} pod(s), ${pids.length} process(es)`,
      );
    }
    return {
      node,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
      ip: pod.status.podIP,
      containerId: agent.containerID,
      restartCount: agent.restartCount ?? 0,
      ready: agent.ready === true,
      hostPid: pids[0] ?? 0,
    };
  });
}
