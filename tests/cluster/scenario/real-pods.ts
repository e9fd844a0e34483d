// Workloads as real pods on real nodes (a box started with `--nodes`): pods of the test backends
// image pinned to a node, with the backend daemon's control API on the pod's address (the
// harness reaches pod addresses through the node network's routes), serving HTTP or SMTP-like
// TCP from the start. The same pods serve as clients: their daemon runs a paced load (load.ts)
// against a Service's cluster IP, so traffic crosses kube-proxy as a real client's would.
import { setTimeout as sleep } from "node:timers/promises";
import { BackendClient } from "../backends/client.js";
import { getOrUndefined } from "../kube.js";
import type { World } from "../world/handle.js";
import { applyManifest, type Manifest } from "./objects.js";

/** The test backends image, imported into every node by the world (world/real-nodes.ts). */
export const BACKENDS_IMAGE = "swh.local/modules/backends:dev";
/** The backend daemon's control port in every real pod. */
export const CONTROL_PORT = 9000;

/** A server the pod starts at boot: `http:<name>:<port>[:<healthPath>]` or `tcp:<name>:<port>`. */
export type ServeSpec = string;

/** How to make one pod. */
export interface RealPodSpec {
  readonly name: string;
  readonly namespace: string;
  readonly node: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly serve?: readonly ServeSpec[];
  /** The kubelet's readinessProbe (the plain Service side of seed 002's experiment). */
  readonly readinessProbe?: Readonly<Record<string, unknown>>;
  readonly ports?: readonly { readonly name: string; readonly containerPort: number }[];
}

/** The pod manifest: restricted security context, as the module's own pods run. */
export function realPodManifest(spec: RealPodSpec): Manifest {
  const container: Record<string, unknown> = {
    name: "backend",
    image: BACKENDS_IMAGE,
    imagePullPolicy: "Never",
    args: [`--control-port=${CONTROL_PORT}`, ...(spec.serve ?? []).map(s => `--serve=${s}`)],
    ports: [...(spec.ports ?? []), { name: "control", containerPort: CONTROL_PORT }],
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    ...(spec.readinessProbe ? { readinessProbe: spec.readinessProbe } : {}),
  };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: spec.name, namespace: spec.namespace, labels: { ...spec.labels } },
    spec: {
      nodeName: spec.node,
      terminationGracePeriodSeconds: 5,
      enableServiceLinks: false,
      securityContext: {
        runAsUser: 64535,
        runAsGroup: 64535,
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [container],
    },
  };
}

interface PodJson {
  readonly status?: {
    readonly phase?: string;
    readonly podIP?: string;
    readonly containerStatuses?: readonly {
      readonly ready?: boolean;
      readonly started?: boolean;
    }[];
  };
}

/** Waits until the pod runs with an address and its daemon answers; returns its client. */
export async function waitRealPod(
  world: World,
  namespace: string,
  name: string,
  timeoutMs = 120_000,
): Promise<{ readonly ip: string; readonly backend: BackendClient }> {
  const deadline = Date.now() + timeoutMs;
  let last = "not created";
  for (;;) {
    const pod = await getOrUndefined<PodJson>(
      world.rest,
      `/api/v1/namespaces/${namespace}/pods/${name}`,
    );
    const ip = pod?.status?.podIP;
    last = `phase ${pod?.status?.phase ?? "?"}, ip ${ip ?? "none"}`;
    if (pod?.status?.phase === "Running" && ip) {
      const backend = new BackendClient({ host: ip, port: CONTROL_PORT });
      if (
        await backend.health().then(
          () => true,
          () => false,
        )
      )
        return { ip, backend };
      last += ", daemon not answering";
    }
    if (Date.now() > deadline) throw new Error(`pod ${namespace}/${name} not running: ${last}`);
    await sleep(250);
  }
}

/** Creates the pods and waits until each runs; returns their clients by pod name. */
export async function startRealPods(
  world: World,
  specs: readonly RealPodSpec[],
): Promise<Map<string, { readonly ip: string; readonly backend: BackendClient }>> {
  for (const spec of specs) await applyManifest(world, realPodManifest(spec));
  const out = new Map<string, { readonly ip: string; readonly backend: BackendClient }>();
  for (const spec of specs) out.set(spec.name, await waitRealPod(world, spec.namespace, spec.name));
  return out;
}

/** The cluster IP of a Service (the child Service of a ServiceWithHealthchecks, say). */
export async function clusterIp(world: World, namespace: string, name: string): Promise<string> {
  const svc = await getOrUndefined<{ spec?: { clusterIP?: string } }>(
    world.rest,
    `/api/v1/namespaces/${namespace}/services/${name}`,
  );
  const ip = svc?.spec?.clusterIP;
  if (!ip || ip === "None") throw new Error(`service ${namespace}/${name} has no cluster IP`);
  return ip;
}
