// How the box runs one of its processes: the log file each one appends to, the marker that makes
// it ours, spawning it with its flags, and the admin TLS client used to ask it whether it serves.
// Shared by `up` (lifecycle.ts), which starts all three, and by the stopping and starting of one
// component of a running box (component-control.ts), so a restarted process gets exactly the
// command line it had.
import { appendFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { apiserverArgs, controllerManagerArgs, etcdArgs, type BoxPorts } from "./components.js";
import { isOurProcess, startDaemon } from "./daemon.js";
import type { TlsClient } from "./https-get.js";
import type { StateLayout } from "./layout.js";
import type { NodeNetworkPlan } from "./nodes/plan.js";
import { pkiFiles, type PkiFiles } from "./pki.js";
import type { Watched } from "./readiness.js";
import type { BoxOptions, BoxState, Component } from "./state.js";
import type { ToolPaths } from "./tools.js";

/** Log file name of each component, in the state dir's `logs/`. */
export const LOG_NAMES: Readonly<Record<Component, string>> = {
  etcd: "etcd.log",
  apiserver: "kube-apiserver.log",
  controllerManager: "kube-controller-manager.log",
};

/** Marker present in every daemon's command line: the state dir with a trailing slash. */
export function markerOf(layout: StateLayout): string {
  return `${layout.root}/`;
}

/** The log file of `component`. */
export function logFileOf(layout: StateLayout, component: Component): string {
  return join(layout.logDir, LOG_NAMES[component]);
}

/** TLS material of the admin client (O=system:masters), signed by the box's CA. */
export async function adminTls(layout: StateLayout): Promise<TlsClient> {
  const pki = pkiFiles(layout.pkiDir);
  const admin = pki.cert("admin");
  const [ca, cert, key] = await Promise.all([
    readFile(pki.caCert, "utf8"),
    readFile(admin.crt, "utf8"),
    readFile(admin.key, "utf8"),
  ]);
  return { ca, cert, key };
}

/** Everything needed to start a component. */
export interface StartContext {
  readonly layout: StateLayout;
  readonly pki: PkiFiles;
  readonly tools: ToolPaths;
  readonly options: BoxOptions;
  readonly timeoutMs: number;
  readonly log: NodeJS.WritableStream;
  /** The node network, when the box has real nodes. */
  readonly network?: NodeNetworkPlan;
}

/** Starts `component` on `ports` with its flags (components.ts) and returns its pid. */
export function spawnComponent(ctx: StartContext, component: Component, ports: BoxPorts): number {
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
    const args = apiserverArgs(layout, pki, ports, { audit: options.audit, network: ctx.network });
    return startDaemon({ binary: tools["kube-apiserver"], args, logFile });
  }
  const args = controllerManagerArgs(layout, pki, ports, options.controllers, ctx.network);
  return startDaemon({ binary: tools["kube-controller-manager"], args, logFile });
}

/** The processes in `pids` as a readiness wait watches them (a death fails the wait). */
export function watchedOf(layout: StateLayout, pids: BoxState["pids"]): Watched[] {
  const marker = markerOf(layout);
  return Object.entries(pids).map(([name, pid]) => ({
    name,
    alive: () => isOurProcess(pid, marker),
  }));
}
