// Stopping and starting ONE process of a running box on the same ports, certificates, data and
// flags, so a test can take a component away the way a crash does (SIGKILL: nothing flushed, open
// connections reset) or an orderly restart does (SIGTERM), and bring it back later. state.json
// follows: a stopped component has no pid and is listed under `stopped` until it starts again, so
// `status` reports the box not ready meanwhile, `down` stops what still runs and frees every port,
// and `up` starts the stopped components again in place (the box's clients keep their
// kubeconfigs) instead of replacing the box.
import { planOf } from "./nodes/nodes.js";
import {
  adminTls,
  logFileOf,
  markerOf,
  spawnComponent,
  watchedOf,
  type StartContext,
} from "./box-process.js";
import type { BoxPorts } from "./components.js";
import { isOurProcess, killDaemon, logTail, stopDaemon } from "./daemon.js";
import { defaultStateDir, stateLayout, type StateLayout, type ToolName } from "./layout.js";
import { withLock } from "./lock.js";
import { pkiFiles } from "./pki.js";
import { isPortFree, LOOPBACK, waitPortsFree } from "./ports.js";
import { ProcessExitedError, waitForOk } from "./readiness.js";
import { COMPONENTS, readState, writeState, type BoxState, type Component } from "./state.js";
import { ensureTools } from "./tools.js";

const LOCK_WAIT_MS = 10 * 60_000;
/** How long the ports of a stopped process may stay busy (a SIGKILLed one frees them at once). */
const PORTS_FREE_MS = 10_000;

const TOOL_OF: Readonly<Record<Component, ToolName>> = {
  etcd: "etcd",
  apiserver: "kube-apiserver",
  controllerManager: "kube-controller-manager",
};

/**
 * The component a command-line name stands for: the binary name (`kube-apiserver`) or the role
 * name of state.json (`apiserver`).
 */
export function parseComponent(name: string): Component {
  for (const component of COMPONENTS) {
    if (name === component || name === TOOL_OF[component]) return component;
  }
  const names = COMPONENTS.map(c => TOOL_OF[c]).join(", ");
  throw new Error(`unknown component ${JSON.stringify(name)}; one of ${names}`);
}

/** The loopback ports `component` listens on. */
export function componentPorts(component: Component, ports: BoxPorts): number[] {
  if (component === "etcd") return [ports.etcdClient, ports.etcdPeer];
  if (component === "apiserver") return [ports.apiserver];
  return [ports.controllerManager];
}

/** Options of `stopComponent`. */
export interface StopComponentOptions {
  readonly stateDir?: string;
  /** SIGKILL at once (a crash), or SIGTERM then SIGKILL after `graceMs`. Default SIGTERM. */
  readonly signal?: "SIGTERM" | "SIGKILL";
  /** Grace after SIGTERM. Default 10 s. */
  readonly graceMs?: number;
}

/** What `stopComponent` did. */
export interface StoppedComponent {
  readonly component: Component;
  /** The pid it had; undefined when none was recorded. */
  readonly pid: number | undefined;
  /** How it ended: `absent` when it was not running. */
  readonly how: "absent" | "SIGTERM" | "SIGKILL";
  /** When it was gone and its ports free (ms since the epoch). */
  readonly stoppedAt: number;
}

/** Options of `startComponent`. */
export interface StartComponentOptions {
  readonly stateDir?: string;
  /** How long to wait until it serves. Default 180 s. */
  readonly timeoutMs?: number;
  /** Progress messages (tool builds); default stderr. */
  readonly log?: NodeJS.WritableStream;
}

/** What `startComponent` did. */
export interface StartedComponent {
  readonly component: Component;
  readonly pid: number;
  /** True when it was already running and nothing was started. */
  readonly reused: boolean;
  /** When it was spawned (ms since the epoch). */
  readonly startedAt: number;
  /** When it served again: /readyz 200 (kube-apiserver), /health 200 (etcd), port listening. */
  readonly readyAt: number;
}

async function requireState(layout: StateLayout): Promise<BoxState> {
  const state = await readState(layout.stateFile);
  if (!state) throw new Error(`no box in ${layout.root}; run up first`);
  return state;
}

function withoutKey<K extends string, V>(
  record: Partial<Record<K, V>> | undefined,
  key: K,
): Partial<Record<K, V>> {
  return Object.fromEntries(Object.entries(record ?? {}).filter(([k]) => k !== key)) as Partial<
    Record<K, V>
  >;
}

/** The state once `component` is down: no pid, listed as stopped (the first time kept). */
function markStopped(state: BoxState, component: Component, at: number): BoxState {
  const since = state.stopped?.[component] ?? new Date(at).toISOString();
  return {
    ...state,
    pids: withoutKey(state.pids, component),
    stopped: { ...state.stopped, [component]: since },
  };
}

/**
 * Stops `component` of the box in the state dir and waits until its ports are free; the rest of
 * the box keeps running. Stopping a component that is not running only records it as stopped.
 */
export async function stopComponent(
  component: Component,
  opts: StopComponentOptions = {},
): Promise<StoppedComponent> {
  const layout = stateLayout(opts.stateDir ?? defaultStateDir());
  const run = async (): Promise<StoppedComponent> => {
    const state = await requireState(layout);
    const pid = state.pids[component];
    const marker = markerOf(layout);
    let how: StoppedComponent["how"] = "absent";
    if (pid !== undefined) {
      how =
        opts.signal === "SIGKILL"
          ? await killDaemon(pid, marker)
          : await stopDaemon(pid, marker, opts.graceMs ?? 10_000);
    }
    await waitPortsFree(componentPorts(component, state.ports), PORTS_FREE_MS);
    const stoppedAt = Date.now();
    await writeState(layout.stateFile, markStopped(state, component, stoppedAt));
    return { component, pid, how, stoppedAt };
  };
  try {
    return await withLock(layout.lockFile, LOCK_WAIT_MS, run);
  } catch (err) {
    throw new Error(`stopping ${component} of the box in ${layout.root} failed`, { cause: err });
  }
}

async function waitListening(
  ctx: StartContext,
  component: Component,
  port: number,
  pid: number,
): Promise<void> {
  const deadline = Date.now() + ctx.timeoutMs;
  const marker = markerOf(ctx.layout);
  while (await isPortFree(port)) {
    if (!isOurProcess(pid, marker)) {
      throw new ProcessExitedError(component, `${component} exited before listening on ${port}`);
    }
    if (Date.now() >= deadline) throw new Error(`${component} not listening on ${port}`);
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

/** Waits until the freshly started `component` serves (see StartedComponent.readyAt). */
async function waitServing(
  ctx: StartContext,
  component: Component,
  state: BoxState,
): Promise<void> {
  const pid = state.pids[component] ?? 0;
  const watched = watchedOf(ctx.layout, { [component]: pid });
  const tls = await adminTls(ctx.layout);
  if (component === "apiserver") {
    await waitForOk(`${state.server}/readyz`, tls, watched, ctx.timeoutMs);
  } else if (component === "etcd") {
    const url = `https://${LOOPBACK}:${state.ports.etcdClient}/health`;
    await waitForOk(url, tls, watched, ctx.timeoutMs);
  } else {
    // Its serving certificate is self-signed (kcm-certs/): a listening port is the sign.
    await waitListening(ctx, component, state.ports.controllerManager, pid);
  }
}

/** startComponent without the lock (the caller holds it). */
async function startLocked(
  layout: StateLayout,
  component: Component,
  how: { readonly timeoutMs: number; readonly log: NodeJS.WritableStream },
): Promise<StartedComponent> {
  const state = await requireState(layout);
  if (component === "controllerManager" && !state.options.controllerManager) {
    throw new Error("the box runs without kube-controller-manager (up --no-controller-manager)");
  }
  const running = state.pids[component];
  if (running !== undefined && isOurProcess(running, markerOf(layout))) {
    const now = Date.now();
    return { component, pid: running, reused: true, startedAt: now, readyAt: now };
  }
  await waitPortsFree(componentPorts(component, state.ports), PORTS_FREE_MS);
  const tools = await ensureTools([TOOL_OF[component]], how.log);
  const ctx: StartContext = {
    layout,
    pki: pkiFiles(layout.pkiDir),
    tools,
    ...how,
    options: state.options,
    ...(state.nodeNetwork ? { network: planOf(layout.root, state.nodeNetwork) } : {}),
  };
  const startedAt = Date.now();
  const pid = spawnComponent(ctx, component, state.ports);
  const next: BoxState = {
    ...state,
    pids: { ...state.pids, [component]: pid },
    stopped: withoutKey(state.stopped, component),
  };
  await writeState(layout.stateFile, next);
  try {
    await waitServing(ctx, component, next);
  } catch (err) {
    // Read the log before stopping, so it ends with the failure, not with the shutdown.
    const tail = logTail(logFileOf(layout, component), 40);
    await stopDaemon(pid, markerOf(layout), 5000);
    await writeState(layout.stateFile, markStopped(next, component, Date.now()));
    throw new Error(`${component} did not serve again; log tail:\n${tail}`, { cause: err });
  }
  return { component, pid, reused: false, startedAt, readyAt: Date.now() };
}

/**
 * Starts `component` of the box in the state dir again, on its ports with its flags, and waits
 * until it serves. Idempotent: a running component is left alone (`reused: true`).
 */
export async function startComponent(
  component: Component,
  opts: StartComponentOptions = {},
): Promise<StartedComponent> {
  const layout = stateLayout(opts.stateDir ?? defaultStateDir());
  const how = { timeoutMs: opts.timeoutMs ?? 180_000, log: opts.log ?? process.stderr };
  try {
    return await withLock(layout.lockFile, LOCK_WAIT_MS, () => startLocked(layout, component, how));
  } catch (err) {
    throw new Error(`starting ${component} of the box in ${layout.root} failed`, { cause: err });
  }
}

/**
 * Starts again, in start order, every component `stopComponent` left stopped; for `up`, which
 * holds the lock. Returns what it started.
 */
export async function resumeStopped(
  layout: StateLayout,
  how: { readonly timeoutMs: number; readonly log: NodeJS.WritableStream },
): Promise<StartedComponent[]> {
  const state = await readState(layout.stateFile);
  const started: StartedComponent[] = [];
  for (const component of COMPONENTS) {
    if (state?.stopped?.[component] === undefined) continue;
    how.log.write(`testenv: starting ${component}, stopped by stop-component, on its ports\n`);
    started.push(await startLocked(layout, component, how));
  }
  return started;
}
