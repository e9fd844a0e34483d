// `up`, `down` and `status` of the cluster in a box: etcd, kube-apiserver (RBAC, ServiceAccount
// token issuance) and kube-controller-manager on free loopback ports, described by state.json in
// the state dir. `up` is idempotent; `down` leaves no process and no port behind.
import { appendFileSync, existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AUDIT_POLICY,
  DEFAULT_CONTROLLERS,
  apiserverArgs,
  controllerManagerArgs,
  etcdArgs,
  type BoxPorts,
} from "./components.js";
import { isOurProcess, logTail, startDaemon, stopDaemon } from "./daemon.js";
import { httpsGet, type TlsClient } from "./https-get.js";
import { renderKubeconfig } from "./kubeconfig.js";
import {
  defaultStateDir,
  stateLayout,
  toolVersions,
  type StateLayout,
  type ToolName,
} from "./layout.js";
import { withLock } from "./lock.js";
import { ensurePki, pkiFiles, type PkiFiles } from "./pki.js";
import { isPortFree, LOOPBACK, pickFreePorts } from "./ports.js";
import { ProcessExitedError, waitForOk, type Watched } from "./readiness.js";
import {
  COMPONENTS,
  clearState,
  readState,
  writeState,
  type BoxOptions,
  type BoxState,
  type Component,
} from "./state.js";
import { ensureTools, type ToolPaths } from "./tools.js";

/** Options of `up`. */
export interface UpOptions {
  /** State dir; default `$SWH_TESTENV_DIR` or `~/.cache/swh-testenv/run/default`. */
  readonly stateDir?: string;
  /** Record request metadata in `logs/audit.log` (for benchmarks). Default false. */
  readonly audit?: boolean;
  /** Run kube-controller-manager. Default true. */
  readonly controllerManager?: boolean;
  /** Controllers to run; default DEFAULT_CONTROLLERS. */
  readonly controllers?: readonly string[];
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

const LOG_NAMES: Record<Component, string> = {
  etcd: "etcd.log",
  apiserver: "kube-apiserver.log",
  controllerManager: "kube-controller-manager.log",
};

const PORT_ATTEMPTS = 3;

/** Marker present in every daemon's command line: the state dir with a trailing slash. */
function markerOf(layout: StateLayout): string {
  return `${layout.root}/`;
}

function logFileOf(layout: StateLayout, component: Component): string {
  return join(layout.logDir, LOG_NAMES[component]);
}

async function adminTls(layout: StateLayout): Promise<TlsClient> {
  const pki = pkiFiles(layout.pkiDir);
  const admin = pki.cert("admin");
  const [ca, cert, key] = await Promise.all([
    readFile(pki.caCert, "utf8"),
    readFile(admin.crt, "utf8"),
    readFile(admin.key, "utf8"),
  ]);
  return { ca, cert, key };
}

function expectedComponents(options: BoxOptions): Component[] {
  return COMPONENTS.filter(c => c !== "controllerManager" || options.controllerManager);
}

function resolveOptions(opts: UpOptions): BoxOptions {
  return {
    audit: opts.audit ?? false,
    controllerManager: opts.controllerManager ?? true,
    controllers: [...(opts.controllers ?? DEFAULT_CONTROLLERS)],
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
    return {
      component,
      pid,
      alive: pid !== undefined && isOurProcess(pid, marker),
      logFile: logFileOf(layout, component),
    };
  });
  const expected = state ? expectedComponents(state.options) : [];
  const allAlive =
    state !== undefined &&
    expected.every(c => processes.find(p => p.component === c)?.alive === true);
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

/** Stops the given processes of the box (reverse start order). */
async function stopAll(
  pids: BoxState["pids"] | undefined,
  layout: StateLayout,
  graceMs: number,
): Promise<DownResult["stopped"]> {
  const stopped: DownResult["stopped"] = {};
  if (!pids) return stopped;
  for (const component of [...COMPONENTS].reverse()) {
    const pid = pids[component];
    if (pid !== undefined) stopped[component] = await stopDaemon(pid, markerOf(layout), graceMs);
  }
  return stopped;
}

async function waitPortsFree(ports: BoxPorts, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy: number[] = [];
    for (const port of Object.values(ports)) if (!(await isPortFree(port))) busy.push(port);
    if (busy.length === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(`ports still in use after the box stopped: ${busy.join(", ")}`);
    }
    await sleep(100);
  }
}

interface StartContext {
  readonly layout: StateLayout;
  readonly pki: PkiFiles;
  readonly tools: ToolPaths;
  readonly options: BoxOptions;
  readonly timeoutMs: number;
  readonly log: NodeJS.WritableStream;
}

function startComponent(ctx: StartContext, component: Component, ports: BoxPorts): number {
  const { layout, pki, tools, options } = ctx;
  const logFile = logFileOf(layout, component);
  appendFileSync(
    logFile,
    `\n=== testenv: starting ${component} at ${new Date().toISOString()} ===\n`,
  );
  if (component === "etcd") {
    return startDaemon({ binary: tools.etcd, args: etcdArgs(layout, pki, ports), logFile });
  }
  if (component === "apiserver") {
    const args = apiserverArgs(layout, pki, ports, { audit: options.audit });
    return startDaemon({ binary: tools["kube-apiserver"], args, logFile });
  }
  const args = controllerManagerArgs(layout, pki, ports, options.controllers);
  return startDaemon({ binary: tools["kube-controller-manager"], args, logFile });
}

function watchedOf(ctx: StartContext, pids: BoxState["pids"]): Watched[] {
  const marker = markerOf(ctx.layout);
  return Object.entries(pids).map(([name, pid]) => ({
    name,
    alive: () => isOurProcess(pid, marker),
  }));
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
  const base = { schema: 1 as const, versions: toolVersions(), ports, options, server };
  const record = (): Promise<void> =>
    writeState(layout.stateFile, { ...base, pids: { ...pids }, startedAt: "" });
  pids.etcd = startComponent(ctx, "etcd", ports);
  pids.apiserver = startComponent(ctx, "apiserver", ports);
  await record();
  const tls = await adminTls(layout);
  await waitForOk(`${server}/readyz`, tls, watchedOf(ctx, pids), ctx.timeoutMs);
  if (options.controllerManager) {
    pids.controllerManager = startComponent(ctx, "controllerManager", ports);
    await record();
    // The ServiceAccount controller creating default/default proves the controller manager
    // authenticated, passed RBAC and runs its controllers.
    const sa = `${server}/api/v1/namespaces/default/serviceaccounts/default`;
    await waitForOk(sa, tls, watchedOf(ctx, pids), ctx.timeoutMs);
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
    const ports = portsFrom(await pickFreePorts(4));
    const pids: Partial<Record<Component, number>> = {};
    try {
      return await startOnPorts(ctx, ports, pids);
    } catch (err) {
      // Read the logs before stopping, so they end with the failure, not with the shutdown.
      const retry = attempt < PORT_ATTEMPTS && portClash(ctx, err);
      const failure = describeFailure(ctx, err);
      await stopAll(pids, ctx.layout, 5000);
      await clearState(ctx.layout.stateFile);
      if (!retry) throw failure;
      ctx.log.write(`testenv: a port was taken meanwhile; retrying (attempt ${attempt + 1})\n`);
    }
  }
}

function sameOptions(a: BoxOptions, b: BoxOptions): boolean {
  return (
    a.audit === b.audit &&
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
 * Brings the box up in the state dir (idempotent: an already running box with the same options is
 * left alone and reported with `reused: true`). Builds the tools first when they are missing.
 */
export async function up(opts: UpOptions = {}): Promise<UpResult> {
  const started = Date.now();
  const layout = stateLayout(opts.stateDir ?? defaultStateDir());
  const options = resolveOptions(opts);
  const log = opts.log ?? process.stderr;
  await mkdir(layout.root, { recursive: true, mode: 0o700 });
  return withLock(layout.lockFile, 10 * 60_000, async () => {
    const existing = await reuseIfUp(layout, options);
    if (existing) return { status: existing, reused: true, elapsedMs: Date.now() - started };
    // Whatever is left of an earlier box (a crashed process, a stale state file) goes first.
    await stopAll((await readState(layout.stateFile))?.pids, layout, 10_000);
    await clearState(layout.stateFile);
    const needed: ToolName[] = ["etcd", "kube-apiserver"];
    if (options.controllerManager) needed.push("kube-controller-manager");
    const tools = await ensureTools(needed, log);
    await mkdir(layout.logDir, { recursive: true });
    await mkdir(layout.etcdDataDir, { recursive: true, mode: 0o700 });
    await writeFile(layout.auditPolicyFile, AUDIT_POLICY);
    const pki = await ensurePki(layout.pkiDir);
    const timeoutMs = opts.timeoutMs ?? 180_000;
    await startFresh({ layout, pki, tools, options, timeoutMs, log });
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
    const stopped = await stopAll(state?.pids, layout, opts.graceMs ?? 10_000);
    if (state) await waitPortsFree(state.ports, 10_000);
    await clearState(layout.stateFile);
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
