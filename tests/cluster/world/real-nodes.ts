// The world on a box with real nodes (`scripts/testenv up --nodes=N`): the module's images are
// built here (tests/cluster/images) and imported into every node's containerd under the
// `<registry>@<digest>` names the chart renders, so the kubelets run the agent DaemonSet the
// operator's Helm release creates — no agent processes, no rollout stand-in. A rollout is
// finished when the real DaemonSet controller says so.
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeRest } from "swh-kube-client";
import { buildImages, importImages, type BuiltImage } from "../images/build.js";
import { runTool } from "../images/proc.js";
import { nodeLayout } from "../../testenv/nodes/configs.js";
import { planOf } from "../../testenv/nodes/nodes.js";
import type { NodeNetworkPlan } from "../../testenv/nodes/plan.js";
import { readState } from "../../testenv/state.js";
import { stateLayout } from "../../testenv/layout.js";
import { getOrUndefined } from "../kube.js";
import type { ModuleImages } from "../module/stage.js";

/** The repository every module image lives in, as Deckhouse's `modulesImages.registry.base`. */
export const MODULE_REGISTRY = "swh.local/modules";

/** The images the real nodes run: the module's two and the test backends. */
const NODE_IMAGES = ["agent", "kube-rbac-proxy", "backends"] as const;

/** The node network of the box in `stateDir`; undefined when it runs no real nodes. */
export async function boxNodePlan(stateDir: string): Promise<NodeNetworkPlan | undefined> {
  const state = await readState(stateLayout(stateDir).stateFile);
  return state?.nodeNetwork ? planOf(stateDir, state.nodeNetwork) : undefined;
}

async function tagInRegistry(socket: string, image: BuiltImage): Promise<void> {
  const ctr = ["--address", socket, "-n", "k8s.io", "images", "tag", "--force"];
  await runTool("ctr", [...ctr, image.ref, `${MODULE_REGISTRY}@${image.digest}`]);
}

/**
 * Builds the images (cached when their inputs did not change) and imports them into every node,
 * tagged `<MODULE_REGISTRY>@<digest>`; returns what the chart's values must name.
 */
export async function ensureNodeImages(
  stateDir: string,
  plan: NodeNetworkPlan,
  log: (line: string) => void,
): Promise<ModuleImages> {
  const images = await buildImages(NODE_IMAGES, { log });
  for (const node of plan.nodes) {
    const socket = nodeLayout(stateDir, node).containerdSocket;
    await importImages(socket, images);
    for (const image of images) await tagInRegistry(socket, image);
  }
  const digest = (name: string): string => {
    const image = images.find(i => i.name === name);
    if (!image) throw new Error(`image ${name} was not built`);
    return image.digest;
  };
  return {
    registry: MODULE_REGISTRY,
    agent: digest("agent"),
    kubeRbacProxy: digest("kube-rbac-proxy"),
  };
}

interface DaemonSetStatusJson {
  readonly metadata?: { readonly generation?: number };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly desiredNumberScheduled?: number;
    readonly updatedNumberScheduled?: number;
    readonly numberAvailable?: number;
    readonly numberReady?: number;
  };
}

/** Why a DaemonSet is not rolled out yet; undefined once it is. */
export function rolloutPending(
  ds: DaemonSetStatusJson | undefined,
  minGeneration: number,
): string | undefined {
  if (!ds) return "no DaemonSet";
  const generation = ds.metadata?.generation ?? 0;
  const s = ds.status ?? {};
  if (generation < minGeneration) return `generation ${generation} < ${minGeneration}`;
  if ((s.observedGeneration ?? 0) < generation) return "the controller has not seen the change";
  const desired = s.desiredNumberScheduled ?? 0;
  if (desired === 0) return "no node scheduled";
  if ((s.updatedNumberScheduled ?? 0) < desired)
    return `${s.updatedNumberScheduled ?? 0}/${desired} updated`;
  if ((s.numberAvailable ?? 0) < desired) return `${s.numberAvailable ?? 0}/${desired} available`;
  return undefined;
}

/** Waits until the agent DaemonSet is rolled out on every node, as `kubectl rollout status`. */
export async function waitDaemonSetRolledOut(
  rest: KubeRest,
  minGeneration: number,
  timeoutMs = 300_000,
): Promise<void> {
  const path = "/apis/apps/v1/namespaces/d8-service-with-healthchecks/daemonsets/agent";
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = rolloutPending(
      await getOrUndefined<DaemonSetStatusJson>(rest, path),
      minGeneration,
    );
    if (!pending) return;
    if (Date.now() > deadline) throw new Error(`the agent DaemonSet did not roll out: ${pending}`);
    await sleep(500);
  }
}
