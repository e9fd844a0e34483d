// The processes of one real node, each in the node's network namespace (`nsenter --net`, which
// unlike `ip netns exec` keeps the host's /sys and its cgroup mounts): containerd, the kubelet
// and kube-proxy. Started detached like the box's own processes (their command lines carry the
// state dir, the marker that makes them ours) and stopped so that nothing is left: the pods'
// containers, containerd's shims, the kubelet's mounts and the pods' network namespaces.
import { execFile } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { hasExited, startDaemon, stopDaemon } from "../daemon.js";
import { kubeletArgs, type NodeLayout } from "./configs.js";
import { cgroupPids, removeCgroupRoot, removeSandboxNetns, unmountUnder } from "./node-host.js";
import type { NodeSpec } from "./plan.js";

const run = promisify(execFile);

/** The node's processes, by role, in start order. */
export const NODE_PROCESSES = ["containerd", "kubelet", "kubeProxy"] as const;
export type NodeProcess = (typeof NODE_PROCESSES)[number];

/** Binaries a node runs. */
export interface NodeBinaries {
  readonly kubelet: string;
  readonly kubeProxy: string;
}

/** Log file of one of a node's processes, in the box's logs dir. */
export function nodeLogFile(logDir: string, node: NodeSpec, process: NodeProcess): string {
  const names: Record<NodeProcess, string> = {
    containerd: "containerd",
    kubelet: "kubelet",
    kubeProxy: "kube-proxy",
  };
  return join(logDir, `${node.name}-${names[process]}.log`);
}

function inNode(node: NodeSpec, binary: string, args: readonly string[], logFile: string): number {
  return startDaemon({
    binary: "nsenter",
    args: [`--net=/run/netns/${node.netns}`, "--", binary, ...args],
    logFile,
  });
}

/** Runs `ctr` against the node's containerd. */
export async function ctr(layout: NodeLayout, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(
      "ctr",
      ["--address", layout.containerdSocket, "--namespace", "k8s.io", ...args],
      { timeout: 120_000, maxBuffer: 64 << 20 },
    );
    return stdout;
  } catch (err) {
    const stderr = ((err as { stderr?: string }).stderr ?? "").trim();
    throw new Error(`ctr ${args.join(" ")} failed: ${stderr || String(err)}`, { cause: err });
  }
}

/** Starts containerd and waits until it answers on its socket. */
export async function startContainerd(
  node: NodeSpec,
  layout: NodeLayout,
  logDir: string,
): Promise<number> {
  const pid = inNode(
    node,
    "containerd",
    ["--config", layout.containerdConfig],
    nodeLogFile(logDir, node, "containerd"),
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    // hasExited, not isOurProcess: until nsenter has exec'd, /proc/<pid>/cmdline is still the
    // forked parent's, without the marker (a start once failed so with containerd running).
    if (hasExited(pid)) throw new Error(`containerd of ${node.name} exited; see its log`);
    if (
      await ctr(layout, ["version"]).then(
        () => true,
        () => false,
      )
    )
      return pid;
    if (Date.now() > deadline) throw new Error(`containerd of ${node.name} did not answer`);
    await sleep(100);
  }
}

/** Starts the kubelet. */
export function startKubelet(
  node: NodeSpec,
  layout: NodeLayout,
  binaries: NodeBinaries,
  logDir: string,
): number {
  const log = nodeLogFile(logDir, node, "kubelet");
  return inNode(node, binaries.kubelet, kubeletArgs(layout, node), log);
}

/** Starts kube-proxy. */
export function startKubeProxy(
  node: NodeSpec,
  layout: NodeLayout,
  binaries: NodeBinaries,
  logDir: string,
): number {
  const log = nodeLogFile(logDir, node, "kubeProxy");
  return inNode(node, binaries.kubeProxy, [`--config=${layout.kubeProxyConfig}`], log);
}

/** Network namespace paths of the node's pod sandboxes, read from containerd's containers. */
async function sandboxNetnsPaths(layout: NodeLayout): Promise<string[]> {
  const ids = (await ctr(layout, ["containers", "list", "--quiet"]).catch(() => ""))
    .split("\n")
    .filter(Boolean);
  const paths: string[] = [];
  for (const id of ids) {
    const info = await ctr(layout, ["containers", "info", id]).catch(() => "");
    for (const match of info.matchAll(/"path":\s*"(\/(?:var\/)?run\/netns\/cni-[^"]+)"/g)) {
      if (match[1]) paths.push(match[1]);
    }
  }
  return [...new Set(paths)];
}

/** The pids of containerd shims serving this node's containerd (their `-address` flag). */
function shimPids(layout: NodeLayout): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (args[0]?.includes("containerd-shim") && args.includes(layout.containerdSocket)) {
        pids.push(Number(entry));
      }
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/**
 * Stops a node as a power cut would, then cleans up after it: kubelet and kube-proxy stop, every
 * container is killed, the shims and containerd stop, and the node's mounts, cgroups and pod
 * network namespaces are removed.
 */
export async function stopNode(
  layout: NodeLayout,
  pids: Partial<Record<NodeProcess, number>>,
  marker: string,
  graceMs: number,
): Promise<void> {
  for (const role of ["kubelet", "kubeProxy"] as const) {
    const pid = pids[role];
    if (pid !== undefined) await stopDaemon(pid, marker, graceMs);
  }
  const netns = await sandboxNetnsPaths(layout);
  for (let i = 0; i < 20 && cgroupPids(layout.cgroupRoot).length > 0; i++) {
    killAll(cgroupPids(layout.cgroupRoot));
    await sleep(100);
  }
  killAll(shimPids(layout));
  if (pids.containerd !== undefined) await stopDaemon(pids.containerd, marker, graceMs);
  await removeSandboxNetns(netns);
  await unmountUnder(layout.dir);
  removeCgroupRoot(layout.cgroupRoot);
}
