// Failures of a real node's parts, by the means they happen in a cluster: a container killed
// (an OOM kill, a crash: SIGKILL through the node's containerd, and the kubelet restarts it), a
// node that hangs (every process on it stopped — kubelet, containerd, its shims, kube-proxy and
// the pods' containers — and its link cut: to the control plane, a machine gone dark), and
// `kubectl rollout restart` of a DaemonSet.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { nodeLayout } from "../../testenv/nodes/configs.js";
import { cgroupPids } from "../../testenv/nodes/node-host.js";
import { ctr } from "../../testenv/nodes/node-processes.js";
import type { NodeSpec } from "../../testenv/nodes/plan.js";
import { getOrUndefined, listItems, mergePatch } from "../kube.js";
import type { World } from "../world/handle.js";
import { boxNodePlan } from "../world/real-nodes.js";

const run = promisify(execFile);

/** The module's namespace, where the agent DaemonSet runs. */
export const AGENT_NAMESPACE = "d8-service-with-healthchecks";

/** What the harness reads of a pod. */
export interface PodView {
  readonly metadata: { readonly name: string; readonly uid?: string };
  readonly spec: { readonly nodeName?: string };
  readonly status?: {
    readonly containerStatuses?: readonly {
      readonly name: string;
      readonly ready?: boolean;
      readonly restartCount?: number;
      readonly containerID?: string;
    }[];
  };
}

/** The agent pod of `node`. */
export async function agentPod(world: World, node: string): Promise<PodView> {
  const pods = await listItems<PodView>(
    world.rest,
    `/api/v1/namespaces/${AGENT_NAMESPACE}/pods`,
    "app=agent",
  );
  const pod = pods.find(p => p.spec.nodeName === node);
  if (!pod) throw new Error(`no agent pod on ${node}`);
  return pod;
}

/** A container's status in a pod. */
export function containerOf(pod: PodView, container: string) {
  return pod.status?.containerStatuses?.find(c => c.name === container);
}

async function nodeSpec(world: World, node: string): Promise<NodeSpec> {
  const plan = await boxNodePlan(world.layout.stateDir);
  const spec = plan?.nodes.find(n => n.name === node);
  if (!spec) throw new Error(`${node} is not a real node of this box`);
  return spec;
}

/**
 * SIGKILLs a running container of a pod through its node's containerd, as the kernel's OOM
 * killer would; the kubelet sees it exit and restarts it. Returns the killed container's id.
 */
export async function killContainer(
  world: World,
  namespace: string,
  podName: string,
  container: string,
): Promise<string> {
  const pod = await getOrUndefined<PodView>(
    world.rest,
    `/api/v1/namespaces/${namespace}/pods/${podName}`,
  );
  const id = pod && containerOf(pod, container)?.containerID?.replace(/^containerd:\/\//, "");
  if (!pod?.spec.nodeName || !id) throw new Error(`${podName}/${container} is not running`);
  const spec = await nodeSpec(world, pod.spec.nodeName);
  await ctr(nodeLayout(world.layout.stateDir, spec), ["tasks", "kill", "--signal", "SIGKILL", id]);
  return id;
}

/** A hung node; `thaw` brings it back as it was. */
export interface FrozenNode {
  readonly node: string;
  /** The processes stopped. */
  readonly pids: readonly number[];
  thaw(): Promise<void>;
}

async function ip(args: readonly string[]): Promise<string> {
  return (await run("ip", [...args])).stdout;
}

function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // exited meanwhile
    }
  }
}

/**
 * Hangs `node`: its link onto the bridge goes down, then every process of the node — those in
 * its network namespace (kubelet, containerd and its shims, kube-proxy) and those in its cgroup
 * tree (the pods' containers) — is stopped (SIGSTOP). Nothing exits, so thawing resumes it all.
 */
export async function freezeNode(world: World, node: string): Promise<FrozenNode> {
  const spec = await nodeSpec(world, node);
  const layout = nodeLayout(world.layout.stateDir, spec);
  await ip(["link", "set", spec.vethHost, "down"]);
  const inNetns = (await ip(["netns", "pids", spec.netns])).split(/\s+/).filter(Boolean);
  const pids = [...new Set([...inNetns.map(Number), ...cgroupPids(layout.cgroupRoot)])];
  signal(pids, "SIGSTOP");
  return {
    node,
    pids,
    thaw: async () => {
      signal(pids, "SIGCONT");
      await ip(["link", "set", spec.vethHost, "up"]);
    },
  };
}

/** `kubectl rollout restart daemonset/<name>`: a new template annotation, so every pod is replaced. */
export async function rolloutRestart(
  world: World,
  namespace: string,
  daemonSet: string,
): Promise<number> {
  const ds = await mergePatch<{ metadata: { generation: number } }>(
    world.rest,
    `/apis/apps/v1/namespaces/${namespace}/daemonsets/${daemonSet}`,
    {
      spec: {
        template: {
          metadata: {
            annotations: { "kubectl.kubernetes.io/restartedAt": new Date().toISOString() },
          },
        },
      },
    },
  );
  return ds.metadata.generation;
}
