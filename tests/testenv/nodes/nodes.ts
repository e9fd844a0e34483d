// Real nodes for the box: after etcd, kube-apiserver and kube-controller-manager serve, starts
// kube-scheduler, the cluster DNS (CoreDNS on the bridge's gateway) and, per node, containerd,
// the kubelet and kube-proxy in the node's network namespace; routes each node's pod range
// (allocated by the controller manager's node IPAM) to it; and waits until every node is Ready
// and the DNS answers. `stopNodes` undoes all of it, network included.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { buildImages, importImages } from "../../cluster/images/build.js";
import { KUBELET_CLIENT_CERT } from "../components.js";
import { isOurProcess, logTail, startDaemon, stopDaemon } from "../daemon.js";
import { renderKubeconfig } from "../kubeconfig.js";
import type { StateLayout } from "../layout.js";
import { allocatePorts } from "../port-allocator.js";
import type { CertificateSpec, PkiFiles } from "../pki.js";
import type { ToolPaths } from "../tools.js";
import {
  cniTemplate,
  containerdConfig,
  kubeProxyConfig,
  kubeletConfig,
  nodeLayout,
  type NodeLayout,
} from "./configs.js";
import { clusterDnsLogFile, startClusterDns, waitClusterDnsReady } from "./cluster-dns.js";
import { addPodRoute, removeNodeNetwork } from "./network.js";
import { createCgroupRoot } from "./node-host.js";
import { waitNodesReady } from "./node-readiness.js";
import {
  nodeLogFile,
  startContainerd,
  startKubeProxy,
  startKubelet,
  stopNode,
  type NodeBinaries,
  type NodeProcess,
} from "./node-processes.js";
import { nodeNetworkPlan, type NodeNetworkPlan, type NodeSpec } from "./plan.js";
import { schedulerArgs } from "./scheduler.js";

/** What state.json records of the nodes. */
export interface NodesRecord {
  readonly schedulerPort: number;
  readonly schedulerPid?: number;
  /** CoreDNS, the cluster DNS (absent in boxes started before it existed). */
  readonly dnsPid?: number;
  readonly pids: Readonly<Record<string, Partial<Record<NodeProcess, number>>>>;
}

/** Which node network a box uses (state.json's `nodeNetwork`). */
export interface NodeNetworkRecord {
  readonly octet: number;
  readonly count: number;
}

/** The node network plan a record stands for. */
export function planOf(stateDir: string, record: NodeNetworkRecord): NodeNetworkPlan {
  return nodeNetworkPlan(stateDir, record.octet, record.count);
}

/**
 * Client certificates of the nodes' kubelets, kube-proxy and kube-scheduler, and the API
 * server's to the kubelets.
 */
export function nodeCertificates(plan: NodeNetworkPlan): CertificateSpec[] {
  return [
    ...plan.nodes.map((n): CertificateSpec => ({
      name: `node-${n.name}`,
      commonName: `system:node:${n.name}`,
      organization: "system:nodes",
      usage: "clientAuth",
    })),
    { name: "kube-proxy", commonName: "system:kube-proxy", usage: "clientAuth" },
    {
      name: KUBELET_CLIENT_CERT,
      commonName: "kube-apiserver-kubelet-client",
      organization: "system:masters",
      usage: "clientAuth",
    },
    { name: "kube-scheduler", commonName: "system:kube-scheduler", usage: "clientAuth" },
  ];
}

/** Everything starting the nodes needs. */
export interface NodesContext {
  readonly layout: StateLayout;
  readonly pki: PkiFiles;
  readonly tools: ToolPaths;
  readonly plan: NodeNetworkPlan;
  /** The API server's port (on every address, the gateway among them). */
  readonly apiserverPort: number;
  readonly timeoutMs: number;
  readonly log: NodeJS.WritableStream;
}

async function kubeconfigFor(ctx: NodesContext, certName: string, server: string): Promise<string> {
  const { crt, key } = ctx.pki.cert(certName);
  return renderKubeconfig({
    server,
    // The serving certificate lists `kubernetes`, not the gateway's address.
    tlsServerName: "kubernetes",
    caPem: await readFile(ctx.pki.caCert, "utf8"),
    name: certName,
    credentials: {
      clientCertificatePem: await readFile(crt, "utf8"),
      clientKeyPem: await readFile(key, "utf8"),
    },
  });
}

async function writeNodeFiles(
  ctx: NodesContext,
  node: NodeSpec,
  layout: NodeLayout,
): Promise<void> {
  const server = `https://${ctx.plan.gateway}:${ctx.apiserverPort}`;
  for (const dir of [
    layout.containerdRoot,
    layout.containerdState,
    layout.cniConfDir,
    layout.cniIpamDir,
  ]) {
    await mkdir(dir, { recursive: true });
  }
  await mkdir(layout.podLogsDir, { recursive: true });
  await writeFile(layout.containerdConfig, containerdConfig(layout, ctx.tools["cni-plugins"]));
  await writeFile(layout.cniTemplate, cniTemplate(layout.cniIpamDir));
  await writeFile(
    layout.kubeletConfig,
    kubeletConfig(layout, node, ctx.pki.caCert, ctx.plan.gateway),
  );
  await writeFile(layout.kubeProxyConfig, kubeProxyConfig(layout, node, ctx.plan));
  const secret = { mode: 0o600 };
  await writeFile(
    layout.kubeletKubeconfig,
    await kubeconfigFor(ctx, `node-${node.name}`, server),
    secret,
  );
  await writeFile(
    layout.kubeProxyKubeconfig,
    await kubeconfigFor(ctx, "kube-proxy", server),
    secret,
  );
  // No cluster DNS server runs: pods resolve nothing beyond /etc/hosts.
  await writeFile(layout.resolvConf, "nameserver 127.0.0.1\noptions ndots:1\n");
  await createCgroupRoot(layout.cgroupRoot);
}

/** The binaries every node runs. */
function nodeBinaries(ctx: NodesContext): NodeBinaries {
  return { kubelet: ctx.tools.kubelet, kubeProxy: ctx.tools["kube-proxy"] };
}

/** Starts one node's processes, recording each pid in `pids` as it starts. */
async function startNode(
  ctx: NodesContext,
  node: NodeSpec,
  pids: Partial<Record<NodeProcess, number>>,
): Promise<void> {
  const layout = nodeLayout(ctx.layout.root, node);
  await writeNodeFiles(ctx, node, layout);
  pids.containerd = await startContainerd(node, layout, ctx.layout.logDir);
  await importImages(layout.containerdSocket, await buildImages(["pause"]));
  const binaries = nodeBinaries(ctx);
  pids.kubelet = startKubelet(node, layout, binaries, ctx.layout.logDir);
  pids.kubeProxy = startKubeProxy(node, layout, binaries, ctx.layout.logDir);
}

/**
 * Starts kube-scheduler, the cluster DNS and every node, recording pids through `record` as they start (so the
 * caller can stop them on failure), then waits until every node is Ready with its pod route and
 * the DNS has synced.
 */
export async function startNodes(
  ctx: NodesContext,
  record: (nodes: NodesRecord) => Promise<void>,
): Promise<NodesRecord> {
  const [schedulerPort] = await allocatePorts(ctx.layout.root, "scheduler", 1);
  if (!schedulerPort) throw new Error("no port for kube-scheduler");
  const pids: Record<string, Partial<Record<NodeProcess, number>>> = {};
  const schedulerKubeconfig = join(ctx.layout.root, "kube-scheduler.kubeconfig");
  const loopback = `https://127.0.0.1:${ctx.apiserverPort}`;
  await writeFile(schedulerKubeconfig, await kubeconfigFor(ctx, "kube-scheduler", loopback), {
    mode: 0o600,
  });
  const schedulerPid = startDaemon({
    binary: ctx.tools["kube-scheduler"],
    args: schedulerArgs(ctx.layout, schedulerKubeconfig, schedulerPort),
    logFile: join(ctx.layout.logDir, "kube-scheduler.log"),
  });
  const dnsPid = await startClusterDns(ctx.layout, ctx.tools.coredns, ctx.plan.gateway);
  const current = (): NodesRecord => ({ schedulerPort, schedulerPid, dnsPid, pids });
  await record(current());
  for (const node of ctx.plan.nodes) {
    pids[node.name] = {};
    await startNode(ctx, node, pids[node.name] ?? {});
    await record(current());
  }
  const alive = supervisor(ctx, pids, { schedulerPid, dnsPid });
  await waitNodesReady(ctx.layout.root, ctx.plan, { route: addPodRoute, alive }, ctx.timeoutMs);
  await waitClusterDnsReady(ctx.layout, dnsPid, ctx.plan.gateway, ctx.timeoutMs);
  return current();
}

/** How often a node's kubelet or kube-proxy is restarted while the nodes join. */
const RESTARTS = 2;

/**
 * Checks the processes while the nodes join, as systemd would supervise a node's agents: a
 * kubelet or kube-proxy that exited is started again (at most RESTARTS times each, the reason
 * logged with its log's tail); a dead containerd or kube-scheduler, or a process out of restarts,
 * is returned as the reason to fail, with its log's tail.
 */
function supervisor(
  ctx: NodesContext,
  pids: Record<string, Partial<Record<NodeProcess, number>>>,
  box: { readonly schedulerPid: number; readonly dnsPid: number },
): () => string | undefined {
  const marker = `${ctx.layout.root}/`;
  const restarts = new Map<string, number>();
  const binaries = nodeBinaries(ctx);
  return () => {
    if (!isOurProcess(box.schedulerPid, marker)) {
      return `kube-scheduler exited; its log ended:\n${logTail(join(ctx.layout.logDir, "kube-scheduler.log"))}`;
    }
    if (!isOurProcess(box.dnsPid, marker)) {
      return `CoreDNS exited; its log ended:\n${logTail(clusterDnsLogFile(ctx.layout))}`;
    }
    for (const node of ctx.plan.nodes) {
      for (const [role, pid] of Object.entries(pids[node.name] ?? {}) as [NodeProcess, number][]) {
        if (isOurProcess(pid, marker)) continue;
        const what = `${role} of ${node.name}`;
        const tail = logTail(nodeLogFile(ctx.layout.logDir, node, role), 15);
        const count = restarts.get(what) ?? 0;
        if (role === "containerd" || count >= RESTARTS)
          return `${what} exited; its log ended:\n${tail}`;
        restarts.set(what, count + 1);
        ctx.log.write(`testenv: ${what} exited; starting it again. Its log ended:\n${tail}\n`);
        const layout = nodeLayout(ctx.layout.root, node);
        const start = role === "kubelet" ? startKubelet : startKubeProxy;
        (pids[node.name] ?? {})[role] = start(node, layout, binaries, ctx.layout.logDir);
      }
    }
    return undefined;
  };
}

/** True when every recorded node process and the scheduler run. */
export function nodesAlive(record: NodesRecord, marker: string): boolean {
  const pids = [
    record.schedulerPid,
    record.dnsPid,
    ...Object.values(record.pids).flatMap(p => Object.values(p)),
  ];
  return pids.every(pid => pid !== undefined && isOurProcess(pid, marker));
}

/**
 * Stops the scheduler and every node (`record` may be missing when the box failed before the
 * nodes started), then removes the node network.
 */
export async function stopNodes(
  stateDir: string,
  network: NodeNetworkRecord,
  record: NodesRecord | undefined,
  graceMs: number,
): Promise<void> {
  const marker = `${stateDir}/`;
  const plan = planOf(stateDir, network);
  for (const node of plan.nodes) {
    await stopNode(nodeLayout(stateDir, node), record?.pids[node.name] ?? {}, marker, graceMs);
  }
  if (record?.schedulerPid !== undefined) await stopDaemon(record.schedulerPid, marker, graceMs);
  if (record?.dnsPid !== undefined) await stopDaemon(record.dnsPid, marker, graceMs);
  await removeNodeNetwork(plan);
  // The kernel frees a namespace's devices asynchronously.
  await sleep(100);
}
