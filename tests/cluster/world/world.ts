// The world of a cluster in a box: on top of a running box (etcd, kube-apiserver,
// kube-controller-manager), the module running as Deckhouse runs it — staged into a modules
// directory, the real addon-operator running its hooks and Helm release with its own
// ServiceAccount, enabled and configured through a ModuleConfig (the bridge turns it into the
// operator ConfigMap, as the deckhouse-controller does) — plus a pod network namespace,
// three fake nodes and one agent process per node with the module's own RBAC, run by the agent
// DaemonSet's rollout stand-in (daemonset-controller.ts). `worldUp` is idempotent (a running
// world is reused; changed settings are re-applied and, like any settings change, rolled out to
// the agents by the stand-in, which worldUp waits for); `worldDown` stops every process and
// removes the pod network, failing when anything is left behind.
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { MODULE_NAME } from "../../../api/contract.js";
import { parseManifests, waitForCrdEstablished } from "../../testenv/client.js";
import { status as boxStatus } from "../../testenv/lifecycle.js";
import { withLock } from "../../testenv/lock.js";
import { releasePorts } from "../../testenv/port-allocator.js";
import { ensureArtefacts, type Artefacts } from "../builds.js";
import { isOurProcess, stopDaemon } from "../daemons.js";
import { adminRest, apply, getOrUndefined } from "../kube.js";
import { worldLayout, type WorldLayout } from "../layout.js";
import { moduleConfigCrdYaml, stageModule, writeModulesValues } from "../module/stage.js";
import {
  createPodNetwork,
  ip,
  netnsNames,
  podNetworkLeftovers,
  removePodNetwork,
} from "../netns/netns.js";
import { boxId, type PodNetworkPlan } from "../netns/plan.js";
import type { NodeNetworkPlan } from "../../testenv/nodes/plan.js";
import type { KubeRest } from "swh-kube-client";
import {
  readWorldState,
  writeWorldState,
  type AgentRecord,
  type OperatorRecord,
  type WorldState,
} from "../state.js";
import {
  agentDaemonSet,
  agentKubeconfig,
  startAgent,
  stopAgent,
  waitAgentReady,
} from "./agents.js";
import { daemonSetView, type DaemonSetView } from "./daemonset-plan.js";
import { ensureDaemonSetControllerBundle, startDaemonSetController } from "./daemonset-process.js";
import type { World } from "./handle.js";
import { NODES, ensureNodes } from "./nodes.js";
import { startBridge } from "./bridge.js";
import { ensureOperatorIdentity, startOperator } from "./operator.js";
import { waitRolledOut } from "./rollout-wait.js";
import { argsMatchSettings } from "./settings-flags.js";
import { boxNodePlan, ensureNodeImages, waitDaemonSetRolledOut } from "./real-nodes.js";
import { markAgentReady, updateWorldState } from "./update.js";

export type { World } from "./handle.js";

/** Module settings the e2e scenarios use: a short Lease so fencing is quick to observe. */
export const E2E_SETTINGS: Readonly<Record<string, unknown>> = {
  logLevel: "Debug",
  heartbeat: { leaseDurationSeconds: 8, renewIntervalSeconds: 2 },
};

/** Options of worldUp. */
export interface WorldUpOptions {
  /** The testenv state dir of a running box. */
  readonly stateDir: string;
  /** ModuleConfig `spec.settings` (default {}). */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Progress lines. */
  readonly log?: (line: string) => void;
  /** Log level of addon-operator and the bridge (default info; debug logs every hook's output). */
  readonly operatorLogLevel?: "debug" | "info" | "warn" | "error";
}

const SWH_CRD = "servicewithhealthchecks.network.deckhouse.io";

/** Applies the module's ModuleConfig (what an administrator writes to enable the module). */
export async function applyModuleConfig(
  world: Pick<World, "rest">,
  settings: Readonly<Record<string, unknown>>,
  enabled = true,
): Promise<void> {
  await apply(world.rest, `/apis/deckhouse.io/v1alpha1/moduleconfigs/${MODULE_NAME}`, {
    apiVersion: "deckhouse.io/v1alpha1",
    kind: "ModuleConfig",
    metadata: { name: MODULE_NAME },
    spec: { enabled, version: 1, settings },
  });
}

/**
 * Waits until the operator enabled the module with `settings`: the CRD its hook installs is
 * Established and the DaemonSet its release renders carries every flag the settings map to
 * (settings-flags.ts); returns the DaemonSet as the rollout stand-in sees it.
 */
export async function waitModuleApplied(
  world: Pick<World, "rest" | "layout">,
  settings: Readonly<Record<string, unknown>>,
  timeoutMs = 240_000,
): Promise<DaemonSetView> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const ds = await agentDaemonSet(world.rest).catch(() => undefined);
    const view = ds ? daemonSetView(ds) : undefined;
    const crd = await getOrUndefined(
      world.rest,
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${SWH_CRD}`,
    );
    if (view && argsMatchSettings(view.args, settings) && crd) {
      await waitForCrdEstablished(SWH_CRD, { stateDir: world.layout.stateDir, timeoutMs: 30_000 });
      return view;
    }
    last = `crd ${crd ? "present" : "absent"}, agent args ${JSON.stringify(view?.args ?? null)}`;
    if (Date.now() >= deadline)
      throw new Error(`the module was not applied in ${timeoutMs} ms: ${last}`);
    await sleep(250);
  }
}

async function ensureNetwork(
  layout: WorldLayout,
  previous: WorldState | undefined,
): Promise<PodNetworkPlan> {
  const network = previous?.network;
  if (network && (await netnsNames()).includes(network.netns)) return network;
  if (network) await removePodNetwork(network).catch(() => undefined);
  return createPodNetwork(boxId(layout.stateDir));
}

/**
 * Stages the module and starts what runs it, unless running: the ModuleConfig bridge first (it
 * fills the operator ConfigMap from the ModuleConfig), then addon-operator.
 */
async function ensureOperator(
  world: World,
  artefacts: Artefacts,
  opts: {
    readonly log: (line: string) => void;
    readonly logLevel: string;
    readonly settings: Readonly<Record<string, unknown>>;
  },
): Promise<WorldState> {
  const { log } = opts;
  const { layout, rest } = world;
  let state = world.state;
  const operatorUp = state.operator && isOurProcess(state.operator.pid, layout.marker);
  const bridgeUp = state.bridge && isOurProcess(state.bridge.pid, layout.marker);
  if (operatorUp && bridgeUp) {
    await applyModuleConfig({ rest }, opts.settings);
    return state;
  }
  if (!operatorUp) {
    log("staging the module (scripts/stage-module.sh)");
    await stageModule(layout);
    const version = (await boxStatus(layout.stateDir)).versions.kubernetes;
    await writeModulesValues(layout, version, state.images);
  }
  await ensureOperatorIdentity(rest);
  for (const crd of parseManifests(await moduleConfigCrdYaml())) {
    await apply(
      rest,
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata?.name ?? ""}`,
      crd,
    );
  }
  await waitForCrdEstablished("moduleconfigs.deckhouse.io", { stateDir: layout.stateDir });
  // The ModuleConfig goes first, so a new operator starts with the module enabled.
  await applyModuleConfig({ rest }, opts.settings);
  if (!bridgeUp) {
    log("starting the ModuleConfig bridge");
    const bridge = await startBridge(layout, {
      bundle: artefacts.bridgeBundle,
      logLevel: opts.logLevel,
    });
    state = { ...state, bridge };
    await writeWorldState(layout.stateFile, state);
  }
  if (!operatorUp) {
    log("starting addon-operator");
    const operator = await startOperator(layout, {
      binary: artefacts.addonOperator,
      logLevel: opts.logLevel,
    });
    state = { ...state, operator };
    await writeWorldState(layout.stateFile, state);
  }
  return state;
}

/**
 * Restarts recorded agents whose process is gone (the machine rebooted, or a scenario left one
 * dead), from the DaemonSet's current template. The rollout stand-in does the rest: it starts
 * agents on nodes that have none and rolls out-of-date ones, but it never resurrects a dead one.
 */
async function restartDeadAgents(
  world: World,
  artefacts: Artefacts,
  view: DaemonSetView,
  log: (line: string) => void,
): Promise<WorldState> {
  const { layout } = world;
  const agents: Record<string, AgentRecord> = { ...world.state.agents };
  const dead = Object.values(agents).filter(a => !isOurProcess(a.pid, layout.marker));
  if (dead.length === 0) return world.state;
  const kubeconfig = await agentKubeconfig(world);
  const started: AgentRecord[] = [];
  for (const current of dead) {
    log(`restarting the agent of ${current.node} (its process is gone)`);
    const record = await startAgent(world, current.node, {
      agentBundle: artefacts.agentBundle,
      kubeconfig,
      chartArgs: view.args,
      templateHash: view.templateHash,
    });
    agents[current.node] = record;
    started.push(record);
  }
  const state = { ...world.state, agents };
  await writeWorldState(layout.stateFile, state);
  for (const record of started) await waitAgentReady(record, layout.marker, 90_000);
  // Under the world lock already (worldUp): written directly, not through updateWorldState.
  const readyAt = new Date().toISOString();
  for (const record of started) agents[record.node] = { ...record, readyAt };
  const ready = { ...state, agents };
  await writeWorldState(layout.stateFile, ready);
  return ready;
}

/** Starts the agent DaemonSet's rollout stand-in unless it runs; returns the updated state. */
async function ensureDaemonSetController(
  world: World,
  artefacts: Artefacts,
  log: (line: string) => void,
): Promise<WorldState> {
  const { layout, state } = world;
  const current = state.daemonSetController;
  if (current && isOurProcess(current.pid, layout.marker)) return state;
  log("starting the agent DaemonSet's rollout stand-in");
  const bundle = await ensureDaemonSetControllerBundle();
  const record = await startDaemonSetController(layout, {
    bundle,
    agentBundle: artefacts.agentBundle,
  });
  const next = { ...state, daemonSetController: record };
  await writeWorldState(layout.stateFile, next);
  return next;
}

/**
 * Brings the world up on the running box in `opts.stateDir` (see file header) and returns a
 * handle. Builds what is missing first (hooks executable, agent, harness bundles, helm).
 */
export async function worldUp(opts: WorldUpOptions): Promise<World> {
  const log = opts.log ?? (() => undefined);
  const settings = opts.settings ?? {};
  const layout = worldLayout(opts.stateDir);
  const box = await boxStatus(layout.stateDir);
  if (!box.ready)
    throw new Error(
      `the box in ${layout.stateDir} is not running (${box.readyz}); run scripts/testenv up`,
    );
  for (const dir of [layout.root, layout.logDir, layout.tmpDir, layout.backendDir])
    await mkdir(dir, { recursive: true });
  const artefacts = await ensureArtefacts(log);
  const rest = adminRest(layout.stateDir);
  const nodePlan = await boxNodePlan(layout.stateDir);
  if (nodePlan) return realNodesWorldUp({ layout, rest, artefacts, settings, log, opts }, nodePlan);
  const view = await withLock(layout.lockFile, 15 * 60_000, async () => {
    const previous = await readWorldState(layout.stateFile);
    const network = await ensureNetwork(layout, previous);
    let state: WorldState = previous
      ? { ...previous, network }
      : {
          schema: 1,
          network,
          nodes: NODES,
          agents: {},
          backends: {},
          settings,
          startedAt: new Date().toISOString(),
        };
    await writeWorldState(layout.stateFile, state);
    state = await ensureOperator({ layout, state, rest }, artefacts, {
      log,
      logLevel: opts.operatorLogLevel ?? "info",
      settings,
    });
    log("waiting for addon-operator to install the CRD and the module's release");
    const applied = await waitModuleApplied({ rest, layout }, settings);
    await ensureNodes(rest, network, state.nodes);
    state = { ...state, settings };
    await writeWorldState(layout.stateFile, state);
    state = await restartDeadAgents({ layout, state, rest }, artefacts, applied, log);
    await ensureDaemonSetController({ layout, state, rest }, artefacts, log);
    return applied;
  });
  // Outside the lock: the stand-in takes it for every step of the rollout.
  log("waiting for the agent DaemonSet to be rolled out");
  const rolled = await waitRolledOut({ rest, layout }, { minGeneration: view.generation });
  return { layout, state: rolled.state, rest };
}

/**
 * worldUp on a box with real nodes: the images imported into every node, the operator started
 * with values naming them, and the real DaemonSet controller and kubelets rolling the agents out.
 */
async function realNodesWorldUp(
  ctx: {
    readonly layout: WorldLayout;
    readonly rest: KubeRest;
    readonly artefacts: Artefacts;
    readonly settings: Readonly<Record<string, unknown>>;
    readonly log: (line: string) => void;
    readonly opts: WorldUpOptions;
  },
  nodePlan: NodeNetworkPlan,
): Promise<World> {
  const { layout, rest, settings, log } = ctx;
  log(`building the images and importing them into ${nodePlan.nodes.length} nodes`);
  const images = await ensureNodeImages(layout.stateDir, nodePlan, log);
  const applied = await withLock(layout.lockFile, 15 * 60_000, async () => {
    const previous = await readWorldState(layout.stateFile);
    let state: WorldState = {
      ...(previous ?? {
        schema: 1,
        nodes: [],
        agents: {},
        backends: {},
        startedAt: new Date().toISOString(),
      }),
      settings,
      images,
    };
    await writeWorldState(layout.stateFile, state);
    state = await ensureOperator({ layout, state, rest }, ctx.artefacts, {
      log,
      logLevel: ctx.opts.operatorLogLevel ?? "info",
      settings,
    });
    log("waiting for addon-operator to install the CRD and the module's release");
    return waitModuleApplied({ rest, layout }, settings);
  });
  log("waiting for the agent DaemonSet to be rolled out by its controller and the kubelets");
  await waitDaemonSetRolledOut(rest, applied.generation);
  return openWorld(layout.stateDir);
}

/** A handle on the running world of the box in `stateDir` (no changes made). */
export async function openWorld(stateDir: string): Promise<World> {
  const layout = worldLayout(stateDir);
  const state = await readWorldState(layout.stateFile);
  if (!state) throw new Error(`no world in ${layout.root}; bring it up first`);
  return { layout, state, rest: adminRest(stateDir) };
}

/** Re-reads world.json (after agents were restarted by another process, say). */
export async function refreshWorld(world: World): Promise<World> {
  return openWorld(world.layout.stateDir);
}

/** Kills (SIGKILL, a crash) or stops (SIGTERM) the agent of `node`; returns its old record. */
export async function stopNodeAgent(
  world: World,
  node: string,
  how: "SIGTERM" | "SIGKILL",
): Promise<AgentRecord> {
  const current = (await refreshWorld(world)).state.agents[node];
  if (!current) throw new Error(`no agent recorded for ${node}`);
  await stopAgent(current, world.layout.marker, how);
  return current;
}

/**
 * Starts the agent of `node` again (from the DaemonSet's current template, as a kubelet
 * restarting the pod would) and waits until ready. Started under the world lock, so it never
 * races a step of the rollout stand-in.
 */
export async function startNodeAgent(world: World, node: string): Promise<AgentRecord> {
  const artefacts = await ensureArtefacts();
  const ds = await agentDaemonSet(world.rest);
  if (!ds) throw new Error(`no agent DaemonSet: cannot start the agent of ${node}`);
  const view = daemonSetView(ds);
  const kubeconfig = await agentKubeconfig(world);
  let record: AgentRecord | undefined;
  await updateWorldState(world.layout, async s => {
    record = await startAgent(world, node, {
      agentBundle: artefacts.agentBundle,
      kubeconfig,
      chartArgs: view.args,
      templateHash: view.templateHash,
    });
    return { ...s, agents: { ...s.agents, [node]: record } };
  });
  if (!record) throw new Error(`the agent of ${node} was not started`);
  await waitAgentReady(record, world.layout.marker, 90_000);
  await markAgentReady(world.layout, record);
  return record;
}

/** Starts the agent of `node` unless it runs; returns its record. */
export async function ensureNodeAgent(world: World, node: string): Promise<AgentRecord> {
  const current = (await refreshWorld(world)).state.agents[node];
  if (current && isOurProcess(current.pid, world.layout.marker)) return current;
  return startNodeAgent(world, node);
}

/**
 * Stops addon-operator (SIGTERM, as a pod is stopped) and starts a new one with the same
 * environment, recorded in world.json; `keepHookFiles` keeps every hook run's files.
 */
export async function restartOperator(
  world: World,
  opts: { readonly keepHookFiles?: boolean; readonly logLevel?: string } = {},
): Promise<OperatorRecord> {
  const artefacts = await ensureArtefacts();
  const old = (await refreshWorld(world)).state.operator;
  if (old) await stopDaemon(old.pid, world.layout.marker, 30_000);
  const record = await startOperator(world.layout, {
    binary: artefacts.addonOperator,
    logLevel: opts.logLevel ?? "debug",
    keepHookFiles: opts.keepHookFiles ?? false,
  });
  await updateWorldState(world.layout, state => ({ ...state, operator: record }));
  return record;
}

/** What worldDown did. */
export interface WorldDownResult {
  readonly stopped: readonly string[];
  readonly removedNetwork: string | undefined;
}

async function killNamespaceProcesses(netns: string): Promise<number> {
  const text = await ip(["netns", "pids", netns]).catch(() => "");
  const pids = text.split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  return pids.length;
}

async function removeFakePodNetwork(
  network: PodNetworkPlan,
  log: (line: string) => void,
): Promise<void> {
  const stray = await killNamespaceProcesses(network.netns);
  if (stray > 0) log(`killed ${stray} process(es) left in ${network.netns}`);
  await removePodNetwork(network);
  const left = await podNetworkLeftovers(network);
  if (left.length > 0) throw new Error(`pod network leftovers: ${left.join(", ")}`);
}

/**
 * Stops backends, agents and the operator, kills anything left in the pod network namespace,
 * removes the network and world.json. Throws when a namespace, link or route survives.
 */
export async function worldDown(
  stateDir: string,
  log: (line: string) => void = () => undefined,
): Promise<WorldDownResult> {
  const layout = worldLayout(stateDir);
  if (!existsSync(layout.root)) return { stopped: [], removedNetwork: undefined };
  return withLock(layout.lockFile, 15 * 60_000, async () => {
    const state = await readWorldState(layout.stateFile);
    if (!state) return { stopped: [], removedNetwork: undefined };
    const stopped: string[] = [];
    const stop = async (what: string, pid: number, graceMs: number): Promise<void> => {
      const how = await stopDaemon(pid, layout.marker, graceMs).catch(() => "SIGKILL");
      if (how !== "absent") stopped.push(`${what} (${how})`);
    };
    // The rollout stand-in first, so it does not start agents while they are being stopped.
    if (state.daemonSetController) {
      await stop("rollout stand-in", state.daemonSetController.pid, 15_000);
    }
    for (const b of Object.values(state.backends)) await stop(`backend ${b.name}`, b.pid, 60_000);
    for (const a of Object.values(state.agents)) await stop(`agent ${a.node}`, a.pid, 15_000);
    if (state.operator) await stop("addon-operator", state.operator.pid, 15_000);
    if (state.bridge) await stop("ModuleConfig bridge", state.bridge.pid, 15_000);
    if (state.network) await removeFakePodNetwork(state.network, log);
    await rm(layout.stateFile, { force: true });
    await rm(layout.backendDir, { recursive: true, force: true });
    await rm(layout.tmpDir, { recursive: true, force: true });
    await releasePorts(layout.root);
    return { stopped, removedNetwork: state.network?.netns };
  });
}
