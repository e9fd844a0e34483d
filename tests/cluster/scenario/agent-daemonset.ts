// The agent DaemonSet and its pods as the API server shows them: what the chart rendered
// (generation, pod template, the agent container's arguments), what the DaemonSet controller
// reports in its status, and the pods it made (uid, node, when created and when Ready, the
// arguments they run, the template revision they come from). Scenarios read a rollout off these.
import { MODULE_NAMESPACE } from "../../../api/contract.js";
import type { KubeRest } from "swh-kube-client";
import { listItems } from "../kube.js";
import { AGENT_CONTAINER, agentDaemonSet, agentDaemonSetView } from "../world/agent-daemonset.js";

interface ContainerJson {
  readonly name: string;
  readonly args?: readonly string[];
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
}

/** The agent DaemonSet, reduced to what scenarios compare. */
export interface AgentDaemonSet {
  readonly generation: number;
  /** `spec.template` as stored: a settings change shows as a different template. */
  readonly template: unknown;
  /** The agent container's arguments. */
  readonly args: readonly string[];
  /** The DaemonSet controller's counts (`observedGeneration`, `numberAvailable`, ...). */
  readonly status: Readonly<Record<string, number>>;
}

/** The agent DaemonSet; undefined when absent (module disabled). */
export async function readAgentDaemonSet(rest: KubeRest): Promise<AgentDaemonSet | undefined> {
  const ds = await agentDaemonSet(rest);
  if (!ds) return undefined;
  return { ...agentDaemonSetView(ds), template: ds.spec?.template, status: { ...ds.status } };
}

/** The agent DaemonSet, which must exist. */
export async function requireAgentDaemonSet(rest: KubeRest): Promise<AgentDaemonSet> {
  const ds = await readAgentDaemonSet(rest);
  if (!ds) throw new Error("no agent DaemonSet");
  return ds;
}

interface PodJson {
  readonly metadata: {
    readonly name: string;
    readonly uid: string;
    readonly creationTimestamp: string;
    readonly deletionTimestamp?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
  readonly spec: { readonly nodeName?: string; readonly containers: readonly ContainerJson[] };
  readonly status?: {
    readonly podIP?: string;
    readonly conditions?: readonly {
      readonly type: string;
      readonly status: string;
      readonly lastTransitionTime?: string;
    }[];
  };
}

/** One agent pod. Times are ms since the epoch, to the second (the API's precision). */
export interface DaemonSetPod {
  readonly name: string;
  readonly uid: string;
  readonly node: string;
  readonly ip: string;
  readonly createdAt: number;
  /** When its Ready condition last turned true; undefined while not Ready. */
  readonly readyAt: number | undefined;
  /** Being deleted (an old pod of a rollout, terminating). */
  readonly terminating: boolean;
  /** The agent container's arguments. */
  readonly args: readonly string[];
  /** `controller-revision-hash`: the DaemonSet template revision the pod was made from. */
  readonly revision: string;
  /** kube-rbac-proxy's port (`https-metrics`): the agent's metrics, as Prometheus scrapes them. */
  readonly metricsPort: number;
}

function daemonSetPod(pod: PodJson): DaemonSetPod {
  const ready = pod.status?.conditions?.find(c => c.type === "Ready");
  const ports = pod.spec.containers.flatMap(c => c.ports ?? []);
  return {
    name: pod.metadata.name,
    uid: pod.metadata.uid,
    node: pod.spec.nodeName ?? "",
    ip: pod.status?.podIP ?? "",
    createdAt: Date.parse(pod.metadata.creationTimestamp),
    readyAt:
      ready?.status === "True" && ready.lastTransitionTime
        ? Date.parse(ready.lastTransitionTime)
        : undefined,
    terminating: pod.metadata.deletionTimestamp !== undefined,
    args: [...(pod.spec.containers.find(c => c.name === AGENT_CONTAINER)?.args ?? [])],
    revision: pod.metadata.labels?.["controller-revision-hash"] ?? "",
    metricsPort: ports.find(p => p.name === "https-metrics")?.containerPort ?? 0,
  };
}

/** The agent pods (terminating ones included), ordered by node. */
export async function daemonSetPods(rest: KubeRest): Promise<DaemonSetPod[]> {
  const pods = await listItems<PodJson>(
    rest,
    `/api/v1/namespaces/${MODULE_NAMESPACE}/pods`,
    "app=agent",
  );
  return pods.map(daemonSetPod).sort((a, b) => a.node.localeCompare(b.node));
}
