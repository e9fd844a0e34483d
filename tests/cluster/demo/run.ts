// The demo, step by step: bring the box up with three real nodes (building the tools on a first
// run), run the module the way Deckhouse does (the kubelets run the agent DaemonSet), set up the
// seed's examples as real pods, show them converge live, switch the PostgreSQL primary over while
// a client pod writes through `postgres-write`, report what the client saw, and leave everything
// running with instructions.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MODULE_NAMESPACE } from "../../../api/contract.js";
import { down, ensureUp, kubeconfigPath, status, type UpResult } from "../../testenv/index.js";
import { cacheDir } from "../../testenv/layout.js";
import { ensureArtefacts } from "../builds.js";
import { getOrUndefined } from "../kube.js";
import { deleteNamespace } from "../scenario/objects.js";
import { worldDown, worldUp, type World } from "../world/world.js";
import { DEMO_NAMESPACE } from "./examples.js";
import { realDemoSwitchover, setUpRealExamples } from "./real-demo.js";
import { liveView, readyIn, type Screen } from "./live.js";
import type { SwhView } from "./view.js";

/** The demo box's state dir: $SWH_DEMO_DIR or <cache>/run/demo. */
export function demoStateDir(): string {
  return process.env.SWH_DEMO_DIR || join(cacheDir(), "run", "demo");
}

/** Module settings of the demo: the defaults, as an administrator enabling the module gets. */
export const DEMO_SETTINGS: Readonly<Record<string, unknown>> = {};

function converged(views: readonly SwhView[]): boolean {
  const ns = DEMO_NAMESPACE;
  return (
    readyIn(views, ns, "postgres-read").length === 3 &&
    readyIn(views, ns, "postgres-write").length === 1 &&
    readyIn(views, ns, "web").length === 1 &&
    readyIn(views, ns, "smtp").length === 1
  );
}

/** Real nodes of the demo's box: three, so the StatefulSet's pods spread one per node. */
export const DEMO_NODES = 3;

/**
 * Starts the demo's box with its real nodes; a box left by an earlier demo without nodes (or
 * with another count) is replaced.
 */
async function demoBox(stateDir: string, say: (line: string) => void): Promise<UpResult> {
  const current = await status(stateDir);
  if (current.ready && (current.options?.nodes ?? 0) !== DEMO_NODES) {
    say("Replacing an earlier demo box that ran without real nodes...");
    await worldDown(stateDir, say);
    await down({ stateDir });
  }
  return ensureUp({ stateDir, nodes: DEMO_NODES, log: process.stdout });
}

function instructions(world: World): string[] {
  const kubeconfig = kubeconfigPath(world.layout.stateDir);
  const kubectl = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].some(p => existsSync(p));
  return [
    "The cluster keeps running. Look around:",
    `  export KUBECONFIG=${kubeconfig}`,
    ...(kubectl
      ? [
          "  kubectl get swh -A",
          `  kubectl -n ${DEMO_NAMESPACE} describe swh postgres-write`,
          `  kubectl -n ${DEMO_NAMESPACE} get endpointslices -l endpointslice.kubernetes.io/managed-by=servicewithhealthchecks`,
          "  kubectl edit moduleconfig service-with-healthchecks   change settings: the agents roll",
          `  kubectl -n ${MODULE_NAMESPACE} rollout status daemonset/agent`,
        ]
      : [
          "  kubectl is not installed here (https://kubernetes.io/docs/tasks/tools/); meanwhile:",
          "  scripts/demo get            the same as kubectl get swh -A, plus endpoints",
        ]),
    "  scripts/demo watch          the live view again (Ctrl-C to leave it)",
    "  scripts/demo switchover     switch the primary over once more",
    "  scripts/demo get            SWHs and their endpoints, once",
    "Logs:",
    `  ${join(world.layout.stateDir, "logs")}   etcd, kube-apiserver, kube-controller-manager, kube-scheduler,`,
    "      and each node's containerd, kubelet and kube-proxy",
    `  ${join(world.layout.stateDir, "nodes", "node-*", "pod-logs")}   the pods' containers (agents, databases)`,
    `  ${world.layout.logDir}   addon-operator, ModuleConfig bridge`,
    "Stop it: scripts/demo down   (scripts/demo down --purge also deletes its data)",
  ];
}

/** The whole demo (see file header). */
export async function runDemo(screen: Screen): Promise<void> {
  const say = (line: string): void => screen.write(`${line}\n`);
  const stateDir = demoStateDir();
  say(
    "service-with-healthchecks demo: a cluster in a box with the module running as Deckhouse runs it.",
  );
  say(`State dir: ${stateDir}`);
  say("Building what is missing (the first run builds etcd, the Kubernetes components and");
  say(
    "addon-operator from the Go module proxy, and the images: minutes; later runs start in seconds)...",
  );
  await ensureArtefacts(say);
  const box = await demoBox(stateDir, say);
  say(
    `Box ${box.reused ? "already running" : "started"}: ${box.status.server ?? "?"}, nodes node-1..3`,
  );
  say("Starting addon-operator and enabling the module with a ModuleConfig; the DaemonSet");
  say("controller and the kubelets run the agents from the images built here...");
  const world = await worldUp({ stateDir, settings: DEMO_SETTINGS, log: say });
  if (await getOrUndefined(world.rest, `/api/v1/namespaces/${DEMO_NAMESPACE}`)) {
    say("Removing the examples of an earlier run...");
    await deleteNamespace(world, DEMO_NAMESPACE, 180_000);
  }
  const examples = await setUpRealExamples(world, say);
  const up = await liveView({
    rest: world.rest,
    screen,
    title:
      "The seed's examples converging (probes start after initialDelaySeconds: 10 s by default)",
    footer: () => [
      "Waiting for: postgres-read 3/3, postgres-write 1/3 (the primary), web 1/1, smtp 1/1",
    ],
    done: converged,
    timeoutMs: 180_000,
  });
  if (up.timedOut) throw new Error("the examples did not converge within 180 s; see the logs");
  const happened = await realDemoSwitchover(world, screen, examples);
  say("");
  say("What happened:");
  say("  postgres-read balanced over db-0, db-1, db-2; postgres-write had only the primary.");
  for (const line of happened) say(line);
  say("");
  for (const line of instructions(world)) say(line);
  world.rest.close();
}
