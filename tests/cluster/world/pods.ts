// Pods without kubelets: a Pod object created through the API on a fake node, then given the
// status a kubelet would write (Running, pod IPs, host IP, Ready/ContainersReady conditions,
// container statuses, start time) through the status subresource — the only kubelet stand-in.
// Each pod gets its own address inside the pod network namespace, where its backend listens.
import { setTimeout as sleep } from "node:timers/promises";
import { statusOf } from "swh-kube-client";
import { deleteIfPresent, getOrUndefined, mergePatch } from "../kube.js";
import { allocatePodAddresses, releasePodAddresses } from "../netns/netns.js";
import type { PodAddresses } from "../netns/plan.js";
import { podNetworkOf } from "../state.js";
import type { World } from "./handle.js";

/** A container port. */
export interface ContainerPort {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol?: "TCP" | "UDP" | "SCTP";
}

/** What a fake pod looks like. */
export interface PodInput {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Fake node name (node-1..3). */
  readonly node: string;
  readonly containers: readonly {
    readonly name: string;
    readonly ports: readonly ContainerPort[];
  }[];
  /** Also give the pod an IPv6 address. */
  readonly dualStack?: boolean;
  /** Report containers ready (default true). */
  readonly ready?: boolean;
  /** E.g. the StatefulSet a pod belongs to. */
  readonly ownerReferences?: readonly Record<string, unknown>[];
}

/** A created pod. */
export interface FakePod {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly addresses: PodAddresses;
}

/** `/api/v1/namespaces/<ns>/pods/<name>`. */
export function podPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${namespace}/pods/${name}`;
}

/** The Pod object (spec only). */
export function podManifest(input: PodInput): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: input.name,
      namespace: input.namespace,
      labels: { ...input.labels },
      ...(input.ownerReferences ? { ownerReferences: input.ownerReferences } : {}),
    },
    spec: {
      nodeName: input.node,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 0,
      containers: input.containers.map(c => ({
        name: c.name,
        image: "registry.example.com/cluster-in-a-box/placeholder:1",
        ports: c.ports.map(p => ({ protocol: "TCP", ...p })),
      })),
    },
  };
}

/** RFC 3339 without milliseconds (what the API stores for metav1.Time). */
function time(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The status a kubelet would report for a running pod. */
export function podStatus(
  input: Pick<PodInput, "containers">,
  addresses: PodAddresses,
  hostIP: string,
  opts: { readonly ready: boolean; readonly now: Date; readonly startTime?: string },
): Record<string, unknown> {
  const t = time(opts.now);
  const ready = opts.ready ? "True" : "False";
  const ips = [addresses.ipv4, ...(addresses.ipv6 ? [addresses.ipv6] : [])];
  return {
    status: {
      phase: "Running",
      hostIP,
      hostIPs: [{ ip: hostIP }],
      podIP: addresses.ipv4,
      podIPs: ips.map(ip => ({ ip })),
      startTime: opts.startTime ?? t,
      conditions: [
        { type: "PodScheduled", status: "True", lastTransitionTime: t },
        { type: "Initialized", status: "True", lastTransitionTime: t },
        { type: "ContainersReady", status: ready, lastTransitionTime: t },
        { type: "Ready", status: ready, lastTransitionTime: t },
      ],
      containerStatuses: input.containers.map(c => ({
        name: c.name,
        ready: opts.ready,
        started: true,
        restartCount: 0,
        image: "registry.example.com/cluster-in-a-box/placeholder:1",
        imageID: "",
        state: { running: { startedAt: opts.startTime ?? t } },
      })),
    },
  };
}

function nodeIndex(world: World, node: string): number {
  const found = world.state.nodes.find(n => n.name === node);
  if (!found)
    throw new Error(`no fake node ${node} (have ${world.state.nodes.map(n => n.name).join(", ")})`);
  return found.index;
}

async function createObject(world: World, input: PodInput): Promise<void> {
  // A namespace's `default` ServiceAccount appears a moment after the namespace; admission
  // rejects pods until then.
  for (let attempt = 1; ; attempt++) {
    try {
      await world.rest.request({
        verb: "create",
        resource: "pods",
        path: `/api/v1/namespaces/${input.namespace}/pods`,
        body: podManifest(input),
      });
      return;
    } catch (err) {
      if (statusOf(err) !== 403 || attempt >= 50) throw err;
      await sleep(200);
    }
  }
}

/** Creates a pod on a fake node, gives it addresses, and reports it Running (and Ready). */
export async function createPod(world: World, input: PodInput): Promise<FakePod> {
  const index = nodeIndex(world, input.node);
  const addresses = await allocatePodAddresses(podNetworkOf(world.state), index, {
    dualStack: input.dualStack ?? false,
    lockFile: world.layout.addressLockFile,
  });
  try {
    await createObject(world, input);
    await mergePatch(
      world.rest,
      `${podPath(input.namespace, input.name)}/status`,
      podStatus(input, addresses, podNetworkOf(world.state).ipv4.nodeAddress, {
        ready: input.ready ?? true,
        now: new Date(),
      }),
    );
  } catch (err) {
    await releasePodAddresses(podNetworkOf(world.state), addresses);
    throw new Error(`creating fake pod ${input.namespace}/${input.name} failed`, { cause: err });
  }
  return { namespace: input.namespace, name: input.name, node: input.node, addresses };
}

/** Flips the pod's Ready/ContainersReady conditions (what a readiness probe would do). */
export async function setPodReady(world: World, pod: FakePod, ready: boolean): Promise<void> {
  const current = await getOrUndefined<{
    spec?: { containers?: { name: string }[] };
    status?: { startTime?: string };
  }>(world.rest, podPath(pod.namespace, pod.name));
  if (!current) throw new Error(`pod ${pod.namespace}/${pod.name} is gone`);
  const containers = (current.spec?.containers ?? []).map(c => ({ name: c.name, ports: [] }));
  await mergePatch(
    world.rest,
    `${podPath(pod.namespace, pod.name)}/status`,
    podStatus({ containers }, pod.addresses, podNetworkOf(world.state).ipv4.nodeAddress, {
      ready,
      now: new Date(),
      ...(current.status?.startTime ? { startTime: current.status.startTime } : {}),
    }),
  );
}

/** Deletes the pod at once (no kubelet to wait for) and frees its addresses. */
export async function deletePod(world: World, pod: FakePod): Promise<void> {
  await deleteIfPresent(world.rest, podPath(pod.namespace, pod.name), 0);
  await releasePodAddresses(podNetworkOf(world.state), pod.addresses);
}
