// What the outage scenarios watch of the cluster around the module (object-recorder.ts): the
// kubelets' view of the agent pods and the app pods (uid, readiness, restarts, deletion) and the
// node lifecycle controller's view of the nodes (Ready condition, taints). An evicted or recreated
// pod shows as a new uid or a deletion, a restarted container as a grown restart count.
import { MODULE_NAMESPACE } from "../../../api/contract.js";
import type { World } from "../world/handle.js";
import { AGENT_SELECTOR } from "./agent-pods.js";
import { ObjectRecorder } from "./object-recorder.js";

/** A pod as its kubelet reported it. */
export interface PodView {
  readonly uid: string;
  readonly node: string;
  /** The pod's Ready condition ("True", "False", or "" when absent). */
  readonly ready: string;
  /** Restarts by container. */
  readonly restarts: Readonly<Record<string, number>>;
  readonly deleting: boolean;
}

/** A node as the node lifecycle controller left it. */
export interface NodeView {
  /** The Ready condition's status: "True", "False" or "Unknown" (kubelet silent). */
  readonly ready: string;
  /** `key:effect` of each taint, sorted. */
  readonly taints: readonly string[];
}

interface Condition {
  readonly type?: string;
  readonly status?: string;
}

interface PodJson {
  readonly metadata?: { readonly uid?: string; readonly deletionTimestamp?: string };
  readonly spec?: { readonly nodeName?: string };
  readonly status?: {
    readonly conditions?: readonly Condition[];
    readonly containerStatuses?: readonly {
      readonly name: string;
      readonly restartCount?: number;
    }[];
  };
}

interface NodeJson {
  readonly spec?: {
    readonly taints?: readonly { readonly key: string; readonly effect: string }[];
  };
  readonly status?: { readonly conditions?: readonly Condition[] };
}

const readyOf = (conditions: readonly Condition[] | undefined): string =>
  conditions?.find(c => c.type === "Ready")?.status ?? "";

/** The PodView of a raw pod. */
export function podView(raw: unknown): PodView {
  const pod = raw as PodJson;
  return {
    uid: pod.metadata?.uid ?? "",
    node: pod.spec?.nodeName ?? "",
    ready: readyOf(pod.status?.conditions),
    restarts: Object.fromEntries(
      (pod.status?.containerStatuses ?? []).map(c => [c.name, c.restartCount ?? 0]),
    ),
    deleting: pod.metadata?.deletionTimestamp !== undefined,
  };
}

/** The NodeView of a raw node. */
export function nodeView(raw: unknown): NodeView {
  const node = raw as NodeJson;
  return {
    ready: readyOf(node.status?.conditions),
    taints: (node.spec?.taints ?? []).map(t => `${t.key}:${t.effect}`).sort(),
  };
}

/** The recorders of one outage: agent pods, the workload's pods, nodes. */
export interface ClusterRecorders {
  readonly agents: ObjectRecorder<PodView>;
  readonly apps: ObjectRecorder<PodView>;
  readonly nodes: ObjectRecorder<NodeView>;
}

/** Starts recording the agent pods, the pods of `namespace` and the nodes. */
export async function recordCluster(world: World, namespace: string): Promise<ClusterRecorders> {
  const recorders: ClusterRecorders = {
    agents: new ObjectRecorder(world, {
      path: `/api/v1/namespaces/${MODULE_NAMESPACE}/pods`,
      labelSelector: AGENT_SELECTOR,
      view: podView,
    }),
    apps: new ObjectRecorder(world, {
      path: `/api/v1/namespaces/${namespace}/pods`,
      view: podView,
    }),
    nodes: new ObjectRecorder(world, { path: "/api/v1/nodes", view: nodeView }),
  };
  for (const r of Object.values(recorders)) await r.start();
  return recorders;
}

/** Stops the recorders; never throws. */
export async function stopRecording(recorders: ClusterRecorders | undefined): Promise<void> {
  for (const r of Object.values(recorders ?? {})) await r.stop().catch(() => undefined);
}
