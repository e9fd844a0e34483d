// The demo, step by step: bring the box up (building the tools on a first run), run the module
// the way Deckhouse does, set up the seed's examples, show them converge live, switch the
// PostgreSQL primary over while `postgres-write` follows, re-clone the old primary as a replica,
// and leave everything running with instructions.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MODULE_NAMESPACE } from "../../../api/contract.js";
import { ensureUp, kubeconfigPath } from "../../testenv/index.js";
import { cacheDir } from "../../testenv/layout.js";
import { ensureArtefacts } from "../builds.js";
import { startSwitchover, type SwitchoverTimes } from "../scenario/switchover.js";
import { backendClient } from "../world/backends.js";
import { worldUp, type World } from "../world/world.js";
import { DEMO_NAMESPACE, removeExamples, setUpExamples } from "./examples.js";
import { liveView, readyIn, type Screen } from "./live.js";
import type { SwhView } from "./view.js";

/** The demo box's state dir: $SWH_DEMO_DIR or <cache>/run/demo. */
export function demoStateDir(): string {
  return process.env.SWH_DEMO_DIR || join(cacheDir(), "run", "demo");
}

/** Module settings of the demo: the defaults, as an administrator enabling the module gets. */
export const DEMO_SETTINGS: Readonly<Record<string, unknown>> = {};

/** The backend of the demo's PostgreSQL pods. */
const PG_BACKEND = `pg-${DEMO_NAMESPACE}`;

function converged(views: readonly SwhView[]): boolean {
  const ns = DEMO_NAMESPACE;
  return (
    readyIn(views, ns, "postgres-read").length === 3 &&
    readyIn(views, ns, "postgres-write").length === 1 &&
    readyIn(views, ns, "web").length === 1 &&
    readyIn(views, ns, "smtp").length === 1
  );
}

/** The current primary (running, not in recovery) and a replica to promote. */
export async function primaryAndReplica(
  world: World,
): Promise<{ primary: string; replica: string }> {
  const nodes = (await backendClient(world, PG_BACKEND).status()).postgres ?? [];
  const primary = nodes.find(n => n.running && n.inRecovery === false)?.pod;
  const replica = nodes.find(n => n.running && n.inRecovery === true)?.pod;
  if (!primary || !replica)
    throw new Error(`no primary/replica pair among ${JSON.stringify(nodes)}`);
  return { primary, replica };
}

/** Runs one switchover with the live view; returns its times. */
export async function demoSwitchover(world: World, screen: Screen): Promise<SwitchoverTimes> {
  const { primary, replica } = await primaryAndReplica(world);
  const backend = backendClient(world, PG_BACKEND);
  const sw = await startSwitchover(world, {
    namespace: DEMO_NAMESPACE,
    backend,
    from: primary,
    to: replica,
  });
  try {
    const { timedOut } = await liveView({
      rest: world.rest,
      screen,
      title: `Switching the PostgreSQL primary over: ${primary} -> ${replica}`,
      footer: () => sw.progress(),
      done: () => sw.done(),
      timeoutMs: 180_000,
    });
    if (timedOut)
      throw new Error(`postgres-write did not follow within 180 s:\n${sw.progress().join("\n")}`);
    const times = sw.times();
    screen.write(`${sw.progress().join("\n")}\n`);
    screen.write(`Re-cloning ${primary} as a streaming replica of ${replica} (pg_basebackup)...\n`);
    await backend.reinit(primary, replica);
    const back = await liveView({
      rest: world.rest,
      screen,
      title: `${primary} rejoins as a replica: postgres-read goes back to 3/3`,
      footer: () => sw.progress(),
      done: views => readyIn(views, DEMO_NAMESPACE, "postgres-read").length === 3,
      timeoutMs: 120_000,
    });
    if (back.timedOut) screen.write(`postgres-read did not return to 3/3 within 120 s\n`);
    return times;
  } finally {
    await sw.close();
  }
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
    `  ${join(world.layout.stateDir, "logs")}   etcd, kube-apiserver, kube-controller-manager`,
    `  ${world.layout.logDir}   addon-operator, ModuleConfig bridge, rollout stand-in, agents, backends`,
    "Stop it: scripts/demo down   (scripts/demo down --purge also deletes its data)",
  ];
}

/** `12.3 s`. */
function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The whole demo (see file header). */
export async function runDemo(screen: Screen): Promise<void> {
  const say = (line: string): void => screen.write(`${line}\n`);
  const stateDir = demoStateDir();
  say(
    "service-with-healthchecks demo: a cluster in a box with the module running as Deckhouse runs it.",
  );
  say(`State dir: ${stateDir}`);
  say(
    "Building what is missing (the first run builds etcd, kube-apiserver, kube-controller-manager",
  );
  say("and addon-operator from the Go module proxy: minutes; later runs start in seconds)...");
  const artefacts = await ensureArtefacts(say);
  const box = await ensureUp({ stateDir, log: process.stdout });
  say(`Box ${box.reused ? "already running" : "started"}: ${box.status.server ?? "?"}`);
  say("Starting addon-operator, enabling the module with a ModuleConfig, fake nodes and agents...");
  let world = await worldUp({ stateDir, settings: DEMO_SETTINGS, log: say });
  if (Object.keys(world.state.backends).length > 0) {
    say("Removing the examples of an earlier run...");
    await removeExamples(world);
    world = await worldUp({ stateDir, settings: DEMO_SETTINGS, log: say });
  }
  await setUpExamples(world, artefacts, say);
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
  const times = await demoSwitchover(world, screen);
  say("");
  say("What happened:");
  say(
    `  postgres-read balanced over db-0, db-1, db-2; postgres-write had only the primary ${times.from}.`,
  );
  say(
    `  ${times.from} was fenced (stopped) and ${times.to} promoted. postgres-write showed ${times.to} ready`,
  );
  say(
    `  ${secs(times.newPrimaryReadyMs)} after the fence (its next probe) and dropped ${times.from} after ${secs(times.oldPrimaryOutMs)}`,
  );
  say(
    "  (failureThreshold 3 x periodSeconds 10: the seed's probe settings; lower them to switch faster).",
  );
  say(`  postgres-write followed the switchover in ${secs(times.totalMs)}.`);
  say(`  ${times.from} then rejoined as a replica, and postgres-read went back to 3/3.`);
  say("");
  for (const line of instructions(world)) say(line);
  world.rest.close();
}
