// The world of a cluster in a box: on top of a running box with real nodes (`scripts/testenv up
// --nodes=N`: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, and per node a
// kubelet, containerd and kube-proxy), the module running as Deckhouse runs it — staged into a
// modules directory, its images built here and imported into every node (real-nodes.ts), the
// real addon-operator running its hooks and Helm release with its own ServiceAccount, enabled and
// configured through a ModuleConfig (the bridge turns it into the operator ConfigMap, as the
// deckhouse-controller does) — and the chart's agent DaemonSet rolled out by the real DaemonSet
// controller and kubelets. `worldUp` is idempotent (a running world is reused; changed settings
// are re-applied and, like any settings change, rolled out to the agent pods, which worldUp
// waits for); `worldDown` stops the operator and the bridge (the pods go with the box). On a box
// without nodes (the cluster benchmark's, which runs an agent of its own on a hollow node) the
// world is the module's control plane only: the operator, its hooks and release, no agent pods.
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
import { worldLayout } from "../layout.js";
import { moduleConfigCrdYaml, stageModule, writeModulesValues } from "../module/stage.js";
import {
  readWorldState,
  writeWorldState,
  type DaemonRecord,
  type OperatorRecord,
  type WorldState,
} from "../state.js";
import { agentDaemonSet, agentDaemonSetView, type AgentDaemonSetView } from "./agent-daemonset.js";
import type { World } from "./handle.js";
import { startBridge } from "./bridge.js";
import { ensureOperatorIdentity, startOperator } from "./operator.js";
import { argsMatchSettings } from "./settings-flags.js";
import { boxNodePlan, ensureNodeImages, waitDaemonSetRolledOut } from "./real-nodes.js";
import { updateWorldState } from "./update.js";

export type { World } from "./handle.js";

/** Module settings the e2e scenarios use: a short Lease so fencing is quick to observe. */
export const E2E_SETTINGS: Readonly<Record<string, unknown>> = {
  logLevel: "Debug",
  heartbeat: { leaseDurationSeconds: 8, renewIntervalSeconds: 2 },
};

/** Options of worldUp. */
export interface WorldUpOptions {
  /** The testenv state dir of a running box (with real nodes, but for the benchmark). */
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
 * (settings-flags.ts); returns the DaemonSet's generation and agent arguments.
 */
export async function waitModuleApplied(
  world: Pick<World, "rest" | "layout">,
  settings: Readonly<Record<string, unknown>>,
  timeoutMs = 240_000,
): Promise<AgentDaemonSetView> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const ds = await agentDaemonSet(world.rest).catch(() => undefined);
    const view = ds ? agentDaemonSetView(ds) : undefined;
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
  const server = (await boxStatus(layout.stateDir)).server;
  const current = (d: DaemonRecord | undefined): boolean =>
    d !== undefined && isOurProcess(d.pid, layout.marker) && d.server === server;
  // A daemon of an earlier box (since restarted on other ports) talks to nothing: replace it.
  for (const stale of [state.operator, state.bridge]) {
    if (stale && !current(stale)) await stopDaemon(stale.pid, layout.marker, 15_000);
  }
  const operatorUp = current(state.operator);
  const bridgeUp = current(state.bridge);
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
    state = { ...state, bridge: { ...bridge, server } };
    await writeWorldState(layout.stateFile, state);
  }
  if (!operatorUp) {
    log("starting addon-operator");
    const operator = await startOperator(layout, {
      binary: artefacts.addonOperator,
      logLevel: opts.logLevel,
    });
    state = { ...state, operator: { ...operator, server } };
    await writeWorldState(layout.stateFile, state);
  }
  return state;
}

/**
 * Brings the world up on the running box in `opts.stateDir` (see file header) and returns a
 * handle. Builds what is missing first (hooks executable, images, harness bundles, helm).
 */
export async function worldUp(opts: WorldUpOptions): Promise<World> {
  const log = opts.log ?? (() => undefined);
  const settings = opts.settings ?? {};
  const layout = worldLayout(opts.stateDir);
  const box = await boxStatus(layout.stateDir);
  if (!box.ready)
    throw new Error(
      `the box in ${layout.stateDir} is not running (${box.readyz}); run scripts/testenv up --nodes=3`,
    );
  const nodePlan = await boxNodePlan(layout.stateDir);
  for (const dir of [layout.root, layout.logDir, layout.tmpDir])
    await mkdir(dir, { recursive: true });
  const artefacts = await ensureArtefacts(log);
  const rest = adminRest(layout.stateDir);
  if (nodePlan) log(`building the images and importing them into ${nodePlan.nodes.length} nodes`);
  else log("the box runs no nodes: the module's control plane only, no agent pods");
  const images = nodePlan ? await ensureNodeImages(layout.stateDir, nodePlan, log) : undefined;
  const applied = await withLock(layout.lockFile, 15 * 60_000, async () => {
    const previous = await readWorldState(layout.stateFile);
    let state: WorldState = {
      ...(previous ?? { schema: 1, startedAt: new Date().toISOString() }),
      settings,
      ...(images ? { images } : {}),
    };
    await writeWorldState(layout.stateFile, state);
    state = await ensureOperator({ layout, state, rest }, artefacts, {
      log,
      logLevel: opts.operatorLogLevel ?? "info",
      settings,
    });
    log("waiting for addon-operator to install the CRD and the module's release");
    return waitModuleApplied({ rest, layout }, settings);
  });
  if (nodePlan) {
    log("waiting for the agent DaemonSet to be rolled out by its controller and the kubelets");
    await waitDaemonSetRolledOut(rest, applied.generation);
  }
  return openWorld(layout.stateDir);
}

/** A handle on the running world of the box in `stateDir` (no changes made). */
export async function openWorld(stateDir: string): Promise<World> {
  const layout = worldLayout(stateDir);
  const state = await readWorldState(layout.stateFile);
  if (!state) throw new Error(`no world in ${layout.root}; bring it up first`);
  return { layout, state, rest: adminRest(stateDir) };
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
  const old = (await openWorld(world.layout.stateDir)).state.operator;
  if (old) await stopDaemon(old.pid, world.layout.marker, 30_000);
  const record = await startOperator(world.layout, {
    binary: artefacts.addonOperator,
    logLevel: opts.logLevel ?? "debug",
    keepHookFiles: opts.keepHookFiles ?? false,
  });
  const server = (await boxStatus(world.layout.stateDir)).server;
  await updateWorldState(world.layout, state => ({ ...state, operator: { ...record, server } }));
  return record;
}

/** What worldDown did. */
export interface WorldDownResult {
  readonly stopped: readonly string[];
}

/**
 * Stops the operator and the bridge and removes world.json. The module's pods and the
 * workloads stay on the nodes until the box goes down.
 */
export async function worldDown(
  stateDir: string,
  log: (line: string) => void = () => undefined,
): Promise<WorldDownResult> {
  const layout = worldLayout(stateDir);
  if (!existsSync(layout.root)) return { stopped: [] };
  return withLock(layout.lockFile, 15 * 60_000, async () => {
    const state = await readWorldState(layout.stateFile);
    if (!state) return { stopped: [] };
    const stopped: string[] = [];
    const stop = async (what: string, pid: number): Promise<void> => {
      const how = await stopDaemon(pid, layout.marker, 15_000).catch(() => "SIGKILL");
      if (how !== "absent") stopped.push(`${what} (${how})`);
    };
    if (state.operator) await stop("addon-operator", state.operator.pid);
    if (state.bridge) await stop("ModuleConfig bridge", state.bridge.pid);
    for (const line of stopped) log(`stopped ${line}`);
    await rm(layout.stateFile, { force: true });
    await rm(layout.tmpDir, { recursive: true, force: true });
    await releasePorts(layout.root);
    return { stopped };
  });
}
