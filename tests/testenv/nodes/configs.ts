// The configuration files of one real node, as pure functions of its layout: containerd's
// config.toml (CRI with runc, its own root, state and socket, the CNI template), the CNI network
// template containerd fills with the node's pod range, the KubeletConfiguration and kube-proxy's
// configuration. The settings each host quirk needs are commented where they are set.
import { join } from "node:path";
import { stringify } from "yaml";
import { CLUSTER_DOMAIN } from "./cluster-dns.js";
import type { NodeNetworkPlan, NodeSpec } from "./plan.js";

/** Files and directories of one node, under `<state>/nodes/<name>/`. */
export interface NodeLayout {
  readonly dir: string;
  readonly containerdConfig: string;
  readonly containerdRoot: string;
  readonly containerdState: string;
  readonly containerdSocket: string;
  readonly runcRoot: string;
  readonly cniConfDir: string;
  readonly cniTemplate: string;
  /** host-local's allocations (its dataDir): the node's own, as on a real node. */
  readonly cniIpamDir: string;
  readonly kubeletRoot: string;
  readonly kubeletConfig: string;
  readonly kubeletKubeconfig: string;
  readonly podLogsDir: string;
  readonly kubeProxyConfig: string;
  readonly kubeProxyKubeconfig: string;
  readonly resolvConf: string;
  /** The node's cgroup parent (kubelet's cgroupRoot) in every cgroup v1 hierarchy. */
  readonly cgroupRoot: string;
}

/** The layout of node `node` in the box's state dir. */
export function nodeLayout(stateDir: string, node: Pick<NodeSpec, "name" | "netns">): NodeLayout {
  const dir = join(stateDir, "nodes", node.name);
  return {
    dir,
    containerdConfig: join(dir, "containerd.toml"),
    containerdRoot: join(dir, "containerd", "root"),
    containerdState: join(dir, "containerd", "state"),
    containerdSocket: join(dir, "containerd.sock"),
    runcRoot: join(dir, "containerd", "runc"),
    cniConfDir: join(dir, "cni"),
    cniTemplate: join(dir, "cni-template.json"),
    cniIpamDir: join(dir, "cni-ipam"),
    kubeletRoot: join(dir, "kubelet"),
    kubeletConfig: join(dir, "kubelet.yaml"),
    kubeletKubeconfig: join(dir, "kubelet.kubeconfig"),
    podLogsDir: join(dir, "pod-logs"),
    kubeProxyConfig: join(dir, "kube-proxy.yaml"),
    kubeProxyKubeconfig: join(dir, "kube-proxy.kubeconfig"),
    resolvConf: join(dir, "resolv.conf"),
    cgroupRoot: `/${node.netns}`,
  };
}

/** The sandbox (pause) image every node's containerd uses; built by the harness. */
export const PAUSE_IMAGE = "swh.local/pause:3.10";

/** containerd's config.toml (schema version 2). */
export function containerdConfig(layout: NodeLayout, cniBinDir: string): string {
  const cri = `plugins."io.containerd.grpc.v1.cri"`;
  return [
    "version = 2",
    `root = ${JSON.stringify(layout.containerdRoot)}`,
    `state = ${JSON.stringify(layout.containerdState)}`,
    "[grpc]",
    `  address = ${JSON.stringify(layout.containerdSocket)}`,
    "[ttrpc]",
    `  address = ${JSON.stringify(`${layout.containerdSocket}.ttrpc`)}`,
    `[${cri}]`,
    `  sandbox_image = ${JSON.stringify(PAUSE_IMAGE)}`,
    // These machines lack CAP_SYS_RESOURCE: without this, the sandbox's oom_score_adj -998 is
    // refused and runc fails with "can't get final child's PID from pipe: EOF".
    "  restrict_oom_score_adj = true",
    `[${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.runc.options]`,
    "  SystemdCgroup = false",
    // Each node's runc keeps its containers' state apart from the other nodes'.
    `  Root = ${JSON.stringify(layout.runcRoot)}`,
    `[${cri}.cni]`,
    `  bin_dir = ${JSON.stringify(cniBinDir)}`,
    `  conf_dir = ${JSON.stringify(layout.cniConfDir)}`,
    // containerd writes the network config from this once the kubelet passes the node's podCIDR.
    `  conf_template = ${JSON.stringify(layout.cniTemplate)}`,
    "",
  ].join("\n");
}

/**
 * The pod network of a node: a bridge (`cni0`) with the node's pod range from host-local, the
 * node's namespace as the pods' gateway (routed onwards by the root namespace), and portmap for
 * hostPort. `{{.PodCIDR}}` is containerd's template variable. host-local keeps its allocations
 * in `ipamDir`, one per node: in its default /var/lib/cni/networks the nodes of every box would
 * share one "last reserved address" and so hand out a just-freed address again at once, and a
 * pod reusing it is unreachable from its neighbours on the bridge for seconds, until their ARP
 * entries for the old pod's MAC expire (it made new pods fail their first probes).
 */
export function cniTemplate(ipamDir: string): string {
  const bridge = {
    type: "bridge",
    bridge: "cni0",
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    ipam: {
      type: "host-local",
      dataDir: ipamDir,
      ranges: [[{ subnet: "{{.PodCIDR}}" }]],
      routes: [{ dst: "0.0.0.0/0" }],
    },
  };
  const portmap = { type: "portmap", capabilities: { portMappings: true } };
  const conf = { cniVersion: "1.0.0", name: "swh-pods", plugins: [bridge, portmap] };
  return `${JSON.stringify(conf, null, 2)}\n`;
}

/** The kubelet's KubeletConfiguration. */
export function kubeletConfig(
  layout: NodeLayout,
  node: NodeSpec,
  caFile: string,
  clusterDns: string,
): string {
  return stringify({
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    address: node.address,
    port: 10250,
    readOnlyPort: 0,
    healthzPort: 0,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: caFile },
    },
    authorization: { mode: "Webhook" },
    containerRuntimeEndpoint: `unix://${layout.containerdSocket}`,
    // The host has hybrid cgroups (v1 controllers): cgroupfs driver, v1 allowed, each node under
    // its own cgroup parent so two kubelets never share one.
    cgroupDriver: "cgroupfs",
    failCgroupV1: false,
    cgroupRoot: layout.cgroupRoot,
    failSwapOn: false,
    podLogsDir: layout.podLogsDir,
    resolvConf: layout.resolvConf,
    // CoreDNS on the bridge's gateway (cluster-dns.ts).
    clusterDNS: [clusterDns],
    clusterDomain: CLUSTER_DOMAIN,
    rotateCertificates: false,
    serializeImagePulls: false,
    // The nodes share one disk and one machine: no eviction or image GC from disk pressure, and
    // no reservations checked against the whole machine.
    evictionHard: {},
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    enforceNodeAllocatable: [],
    // kube-proxy owns the node's iptables rules.
    makeIPTablesUtilChains: false,
  });
}

/** kube-proxy's KubeProxyConfiguration (iptables mode, bound to the node's address). */
export function kubeProxyConfig(
  layout: NodeLayout,
  node: NodeSpec,
  plan: Pick<NodeNetworkPlan, "clusterCidr">,
): string {
  return stringify({
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    clientConnection: { kubeconfig: layout.kubeProxyKubeconfig },
    hostnameOverride: node.name,
    mode: "iptables",
    clusterCIDR: plan.clusterCidr,
    bindAddress: node.address,
    healthzBindAddress: `${node.address}:10256`,
    metricsBindAddress: `${node.address}:10249`,
    nodePortAddresses: [`${node.address}/32`],
    // The nodes share the host's conntrack table size: leave it as the host set it.
    conntrack: { maxPerCore: 0 },
    iptables: { syncPeriod: "10s", minSyncPeriod: "0s" },
  });
}

/** The kubelet's command line (after `nsenter --net=<netns>`). */
export function kubeletArgs(layout: NodeLayout, node: NodeSpec): string[] {
  return [
    `--config=${layout.kubeletConfig}`,
    `--kubeconfig=${layout.kubeletKubeconfig}`,
    `--root-dir=${layout.kubeletRoot}`,
    `--cert-dir=${join(layout.kubeletRoot, "pki")}`,
    `--hostname-override=${node.name}`,
    `--node-ip=${node.address}`,
    `--node-labels=topology.kubernetes.io/zone=${node.zone}`,
    "--v=1",
  ];
}
