// `up`, `down` and `status` of the cluster in a box: etcd, kube-apiserver (RBAC, ServiceAccount
// token issuance) and kube-controller-manager on free loopback ports, described by state.json in
// the state dir. `up` is idempotent; `down` leaves no process and no port behind.
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import {
  LOG_NAMES,
  adminTls,
  logFileOf,
  markerOf,
  spawnComponent,
  watchedOf,
  type StartContext,
} from "./box-process.js";
import { resumeStopped } from "./component-control.js";
import {
  AUDIT_POLICY,
  DEFAULT_CONTROLLERS,
  NODE_CONTROLLERS,
  type BoxPorts,
} from "./components.js";
import { isOurProcess, logTail, stopDaemon } from "./daemon.js";
import { httpsGet } from "./https-get.js";
import { renderKubeconfig } from "./kubeconfig.js";
import {
  defaultStateDir,
  stateLayout,
  toolVersions,
  type StateLayout,
  type ToolName,
} from "./layout.js";
import { withLock } from "./lock.js";
import { createNodeNetwork, removeNodeNetwork } from "./nodes/network.js";
import {
  nodeCertificates,
  nodesAlive,
  startNodes,
  stopNodes,
  type NodesRecord,
} from "./nodes/nodes.js";
import type { NodeNetworkPlan } from "./nodes/plan.js";
import { ensurePki, type PkiFiles } from "./pki.js";
import { allocatePorts, releasePorts } from "./port-allocator.js";
import { LOOPBACK, waitPortsFree } from "./ports.js";
import { ProcessExitedError, waitForOk } from "./readiness.js";
import {
  COMPONENTS,
  clearState,
  readState,
  writeState,
  type BoxOptions,
  type BoxState,
  type Component,
} from "./state.js";
import { ensureTools } from "./tools.js";

/** Options of `up`. */
export interface UpOptions {
  /** State dir; default `$SWH_TESTENV_DIR` or `~/.cache/swh-testenv/run/default`. */
  readonly stateDir?: string;
  /** Record request metadata in `logs/audit.log` (for benchmarks). Default false. */
  readonly audit?: boolean;
  /** Run kube-controller-manager. Default true. */
  readonly controllerManager?: boolean;
  /** Controllers to run; default DEFAULT_CONTROLLERS (plus NODE_CONTROLLERS with nodes). */
  readonly controllers?: readonly string[];
  /** Real nodes to run (kubelet, containerd, kube-proxy each), plus kube-scheduler. Default 0. */
  readonly nodes?: number;
  /** How long to wait for readiness. Default 180 s (a loaded 2-core machine is slow). */
  readonly timeoutMs?: number;
  /** Progress messages; default stderr. */
  readonly log?: NodeJS.WritableStream;
}

/** One process of the box as `status` sees it. */
export interface ProcessStatus {
  readonly component: Component;
  readonly pid: number | undefined;
  readonly alive: boolean;
  readonly logFile: string;
  /** When `stopComponent` stopped it (RFC 3339), while it stays stopped. */
  readonly stoppedAt?: string;
}

/** What `status` reports. */
export interface BoxStatus {
  readonly stateDir: string;
  /** Every expected process runs and /readyz answers ok. */
  readonly ready: boolean;
  readonly server: string | undefined;
  readonly kubeconfig: string;
  readonly ports: BoxPorts | undefined;
  readonly options: BoxOptions | undefined;
  readonly processes: readonly ProcessStatus[];
  /** /readyz answer, or why it could not be asked. */
  readonly readyz: string;
  readonly startedAt: string | undefined;
  readonly versions: { readonly etcd: string; readonly kubernetes: string };
}

/** Result of `up`. */
export interface UpResult {
  readonly status: BoxStatus;
  /** True when the box was already up and nothing was started. */
  readonly reused: boolean;
  readonly elapsedMs: number;
}

/** Result of `down`. */
export interface DownResult {
  readonly stateDir: string;
  /** How each process ended. */
  readonly stopped: Partial<Record<Component, "absent" | "SIGTERM" | "SIGKILL">>;
  readonly purged: boolean;
}

const PORT_ATTEMPTS = 3;

function expectedComponents(options: BoxOptions): Component[] {
  return COMPONENTS.filter(c => c !== "controllerManager" || options.controllerManager);
}

function resolveOptions(opts: UpOptions): BoxOptions {
  const nodes = opts.nodes ?? 0;
  if (nodes > 0 && opts.controllerManager === false) {
    throw new Error("real nodes need kube-controller-manager (node IPAM, DaemonSets)");
  }
  const defaults = nodes > 0 ? [...DEFAULT_CONTROLLERS, ...NODE_CONTROLLERS] : DEFAULT_CONTROLLERS;
  return {
    audit: opts.audit ?? false,
    controllerManager: opts.controllerManager ?? true,
    controllers: [...(opts.controllers ?? defaults)],
    nodes,
  };
}

async function readyzOf(state: BoxState, layout: StateLayout): Promise<string> {
  try {
    const res = await httpsGet(`${state.server}/readyz`, await adminTls(layout), 2000);
    return res.status === 200 ? "ok" : `HTTP ${res.status}: ${res.body.slice(0, 500)}`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Reports on the box in `stateDir` without changing anything. */
export async function status(stateDir = defaultStateDir()): Promise<BoxStatus> {
  const layout = stateLayout(stateDir);
  const state = await readState(layout.stateFile);
  const marker = markerOf(layout);
  const processes = COMPONENTS.map(component => {
    const pid = state?.pids[component];
    const stoppedAt = state?.stopped?.[component];
    return {
      component,
      pid,
      alive: pid !== undefined && isOurProcess(pid, marker),
      logFile: logFileOf(layout, component),
      ...(stoppedAt ? { stoppedAt } : {}),
    };
  });
  const expected = state ? expectedComponents(state.options) : [];
  const allAlive =
    state !== undefined &&
    expected.every(c => processes.find(p => p.component === c)?.alive === true) &&
    (!state.options.nodes || (state.nodes !== undefined && nodesAlive(state.nodes, marker)));
  const readyz = state && allAlive ? await readyzOf(state, layout) : "box is not running";
  return {
    stateDir,
    ready: allAlive && readyz === "ok",
    server: state?.server,
    kubeconfig: layout.adminKubeconfig,
    ports: state?.ports,
    options: state?.options,
    processes,
    readyz,
    startedAt: state?.startedAt,
    versions: state?.versions ?? toolVersions(),
  };
}

async function writeKubeconfigs(layout: StateLayout, pki: PkiFiles, server: string): Promise<void> {
  const caPem = await readFile(pki.caCert, "utf8");
  const users: [string, string, string][] = [
    [layout.adminKubeconfig, "admin", "swh-testenv-admin"],
    [layout.controllerManagerKubeconfig, "kube-controller-manager", "kube-controller-manager"],
  ];
  for (const [file, certName, name] of users) {
    const { crt, key } = pki.cert(certName);
    const credentials = {
      clientCertificatePem: await readFile(crt, "utf8"),
      clientKeyPem: await readFile(key, "utf8"),
    };
    await writeFile(file, renderKubeconfig({ server, caPem, name, credentials }), { mode: 0o600 });
  }
}

/**
 * Stops the processes of the box in `state` (reverse start order): its nodes and their network
 * first, then the control plane.
 */
async function stopAll(
  state: Pick<BoxState, "pids" | "nodeNetwork" | "nodes"> | undefined,
  layout: StateLayout,
  graceMs: number,
): Promise<DownResult["stopped"]> {
  const stopped: DownResult["stopped"] = {};
  if (!state) return stopped;
  if (state.nodeNetwork) await stopNodes(layout.root, state.nodeNetwork, state.nodes, graceMs);
  const pids = state.pids;
  for (const component of [...COMPONENTS].reverse()) {
    const pid = pids[component];
    if (pid !== undefined) stopped[component] = await stopDaemon(pid, markerOf(layout), graceMs);
  }
  return stopped;
}

/**
 * Starts the processes on `ports`, recording their pids in `pids` as they start (so the caller
 * can stop them on failure), and waits until they serve.
 */
async function startOnPorts(
  ctx: StartContext,
  ports: BoxPorts,
  pids: Partial<Record<Component, number>>,
): Promise<BoxState> {
  const { layout, pki, options } = ctx;
  const server = `https://${LOOPBACK}:${ports.apiserver}`;
  await writeKubeconfigs(layout, pki, server);
  const nodeNetwork = ctx.network
    ? { octet: ctx.network.octet, count: ctx.network.nodes.length }
    : undefined;
  const base = {
    schema: 1 as const,
    versions: toolVersions(),
    ports,
    options,
    server,
    ...(nodeNetwork ? { nodeNetwork } : {}),
  };
  const record = (): Promise<void> =>
    writeState(layout.stateFile, { ...base, pids: { ...pids }, startedAt: "" });
  pids.etcd = spawnComponent(ctx, "etcd", ports);
  pids.apiserver = spawnComponent(ctx, "apiserver", ports);
  await record();
  const tls = await adminTls(layout);
  await waitForOk(`${server}/readyz`, tls, watchedOf(ctx.layout, pids), ctx.timeoutMs);
  if (options.controllerManager) {
    pids.controllerManager = spawnComponent(ctx, "controllerManager", ports);
    await record();
    // The ServiceAccount controller creating default/default proves the controller manager
    // authenticated, passed RBAC and runs its controllers.
    const sa = `${server}/api/v1/namespaces/default/serviceaccounts/default`;
    await waitForOk(sa, tls, watchedOf(ctx.layout, pids), ctx.timeoutMs);
  }
  const state = { ...base, pids, startedAt: new Date().toISOString() };
  await writeState(layout.stateFile, state);
  return state;
}

function portsFrom(list: number[]): BoxPorts {
  const [etcdClient, etcdPeer, apiserver, controllerManager] = list;
  if (!etcdClient || !etcdPeer || !apiserver || !controllerManager) {
    throw new Error("could not pick four free loopback ports");
  }
  return { etcdClient, etcdPeer, apiserver, controllerManager };
}

function portClash(ctx: StartContext, err: unknown): boolean {
  if (!(err instanceof ProcessExitedError)) return false;
  const component = err.component as Component;
  return /address already in use/i.test(logTail(logFileOf(ctx.layout, component), 40));
}

function describeFailure(ctx: StartContext, err: unknown): Error {
  const parts = COMPONENTS.map(
    c => `--- ${LOG_NAMES[c]} (tail) ---\n${logTail(logFileOf(ctx.layout, c))}`,
  );
  const reason = err instanceof Error ? err.message : String(err);
  return new Error(`testenv up failed: ${reason}\n${parts.join("\n")}`, { cause: err });
}

/** Starts the box, retrying with new ports when another process grabbed one meanwhile. */
async function startFresh(ctx: StartContext): Promise<BoxState> {
  for (let attempt = 1; ; attempt++) {
    const ports = portsFrom(await allocatePorts(ctx.layout.root, "box", 4));
    const pids: Partial<Record<Component, number>> = {};
    try {
      return await startOnPorts(ctx, ports, pids);
    } catch (err) {
      // Read the logs before stopping, so they end with the failure, not with the shutdown.
      const retry = attempt < PORT_ATTEMPTS && portClash(ctx, err);
      const failure = describeFailure(ctx, err);
      await stopAll({ pids }, ctx.layout, 5000);
      await clearState(ctx.layout.stateFile);
      if (!retry) throw failure;
      ctx.log.write(`testenv: a port was taken meanwhile; retrying (attempt ${attempt + 1})\n`);
    }
  }
}

function sameOptions(a: BoxOptions, b: BoxOptions): boolean {
  return (
    a.audit === b.audit &&
    (a.nodes ?? 0) === (b.nodes ?? 0) &&
    a.controllerManager === b.controllerManager &&
    (!a.controllerManager || a.controllers.join(",") === b.controllers.join(","))
  );
}

async function reuseIfUp(layout: StateLayout, options: BoxOptions): Promise<BoxStatus | undefined> {
  const current = await status(layout.root);
  if (!current.ready || !current.options) return undefined;
  if (!sameOptions(current.options, options)) {
    throw new Error(
      `testenv in ${layout.root} is already up with options ${JSON.stringify(current.options)}; ` +
        `run down first to start it with ${JSON.stringify(options)}`,
    );
  }
  return current;
}

/**
 * Starts the components `stopComponent` left stopped on their ports, so the box's clients keep
 * working; when that fails, `up` replaces the box as it replaces a crashed one.
 */
async function resumeInPlace(
  layout: StateLayout,
  options: BoxOptions,
  how: { readonly timeoutMs: number; readonly log: NodeJS.WritableStream },
): Promise<void> {
  const state = await readState(layout.stateFile);
  if (!state?.stopped || !sameOptions(state.options, options)) return;
  try {
    await resumeStopped(layout, how);
    // A restarted etcd (or API server) is serving, but the box is ready only once kube-apiserver
    // has reconnected to it; checking readiness at once would replace a box that is recovering.
    const deadline = Date.now() + how.timeoutMs;
    while (!(await status(layout.root)).ready) {
      if (Date.now() > deadline) throw new Error("the box did not become ready again in time");
      await sleep(250);
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    how.log.write(`testenv: restarting a stopped component failed (${reason}); starting afresh\n`);
  }
}

/** The tools real nodes need besides the control plane's. */
const NODE_TOOLS: readonly ToolName[] = [
  "kube-scheduler",
  "kubelet",
  "kube-proxy",
  "cni-plugins",
  "coredns",
];

/** Starts kube-scheduler and the nodes of a box whose control plane serves. */
async function startBoxNodes(
  ctx: StartContext,
  plan: NodeNetworkPlan,
  state: BoxState,
): Promise<void> {
  const record = (nodes: NodesRecord): Promise<void> =>
    writeState(ctx.layout.stateFile, { ...state, nodes });
  const nodesCtx = { ...ctx, plan, apiserverPort: state.ports.apiserver };
  ctx.log.write(`testenv: starting ${plan.nodes.length} nodes on ${plan.nodeCidr}\n`);
  await record(await startNodes(nodesCtx, record));
}

/**
 * Brings the box up in the state dir (idempotent: an already running box with the same options is
 * left alone and reported with `reused: true`; components stopped by `stopComponent` are started
 * again on their ports first). Builds the tools first when they are missing.
 */
export async function up(opts: UpOptions = {}): Promise<UpResult> {
  const started = Date.now();
  const layout = stateLayout(opts.stateDir ?? defaultStateDir());
  const options = resolveOptions(opts);
  const log = opts.log ?? process.stderr;
  await mkdir(layout.root, { recursive: true, mode: 0o700 });
  const timeoutMs = opts.timeoutMs ?? 180_000;
  return withLock(layout.lockFile, 10 * 60_000, async () => {
    await resumeInPlace(layout, options, { timeoutMs, log });
    const existing = await reuseIfUp(layout, options);
    if (existing) return { status: existing, reused: true, elapsedMs: Date.now() - started };
    // Whatever is left of an earlier box (a crashed process, a stale state file) goes first.
    await stopAll(await readState(layout.stateFile), layout, 10_000);
    await clearState(layout.stateFile);
    const needed: ToolName[] = ["etcd", "kube-apiserver"];
    if (options.controllerManager) needed.push("kube-controller-manager");
    if (options.nodes > 0) needed.push(...NODE_TOOLS);
    const tools = await ensureTools(needed, log);
    await mkdir(layout.logDir, { recursive: true });
    await mkdir(layout.etcdDataDir, { recursive: true, mode: 0o700 });
    await writeFile(layout.auditPolicyFile, AUDIT_POLICY);
    // The API server listens on the node network's gateway, so the network comes first.
    const network =
      options.nodes > 0 ? await createNodeNetwork(layout.root, options.nodes) : undefined;
    try {
      const pki = await ensurePki(layout.pkiDir, network ? nodeCertificates(network) : []);
      const ctx: StartContext = { layout, pki, tools, options, timeoutMs, log, network };
      const state = await startFresh(ctx);
      if (network) await startBoxNodes(ctx, network, state);
    } catch (err) {
      await stopAll(await readState(layout.stateFile), layout, 5000);
      await clearState(layout.stateFile);
      if (network) await removeNodeNetwork(network);
      throw err;
    }
    return { status: await status(layout.root), reused: false, elapsedMs: Date.now() - started };
  });
}

/** Options of `down`. */
export interface DownOptions {
  readonly stateDir?: string;
  /** Also delete the state dir (data, certificates, logs). Default false. */
  readonly purge?: boolean;
  /** How long a process gets after SIGTERM before SIGKILL. Default 10 s. */
  readonly graceMs?: number;
}

/**
 * Stops the box and checks that its ports are free again; with `purge`, removes the state dir.
 * Safe to call when the box is not running.
 */
export async function down(opts: DownOptions = {}): Promise<DownResult> {
  const layout = stateLayout(opts.stateDir ?? defaultStateDir());
  const run = async (): Promise<DownResult> => {
    const state = await readState(layout.stateFile);
    const stopped = await stopAll(state, layout, opts.graceMs ?? 10_000);
    if (state) await waitPortsFree(Object.values(state.ports), 10_000);
    await clearState(layout.stateFile);
    await releasePorts(layout.root);
    return { stateDir: layout.root, stopped, purged: false };
  };
  if (!existsSync(layout.root)) return { stateDir: layout.root, stopped: {}, purged: false };
  let result: DownResult;
  try {
    result = await withLock(layout.lockFile, 10 * 60_000, run);
  } catch (err) {
    throw new Error(`testenv down in ${layout.root} failed`, { cause: err });
  }
  if (!opts.purge) return result;
  await rm(layout.root, { recursive: true, force: true });
  return { ...result, purged: true };
}
