// Unit tests of the real nodes' pure parts (tests/testenv/nodes): the node network plan and its
// `ip` commands, the configuration files each node's containerd, kubelet and kube-proxy read, the
// control plane's flags with and without nodes, and the mount list a node's teardown unmounts.
import { corefile } from "../../testenv/nodes/cluster-dns.js";
import { parse } from "yaml";
import { apiserverArgs, controllerManagerArgs } from "../../testenv/components.js";
import { stateLayout } from "../../testenv/layout.js";
import { pkiFiles } from "../../testenv/pki.js";
import {
  cniTemplate,
  containerdConfig,
  kubeProxyConfig,
  kubeletArgs,
  kubeletConfig,
  nodeLayout,
} from "../../testenv/nodes/configs.js";
import { mountsUnder } from "../../testenv/nodes/node-host.js";
import { nodeCertificates } from "../../testenv/nodes/nodes.js";
import {
  networkDownCommands,
  networkUpCommands,
  nodeNetworkPlan,
  podRouteCommand,
} from "../../testenv/nodes/plan.js";

const STATE = "/root/.cache/swh-testenv/run/e2e-1-nodes";
const plan = nodeNetworkPlan(STATE, 250, 3);
const node1 = plan.nodes[0]!;

describe("node network plan", () => {
  it("gives each node a namespace, an address on the bridge and a zone, round robin", () => {
    expect(plan.gateway).toBe("10.250.255.1");
    expect(plan.nodeCidr).toBe("10.250.255.0/24");
    // The pods' range leaves out the node network, so node IPAM never hands it to a node.
    expect(plan.clusterCidr).toBe("10.250.0.0/17");
    expect(plan.nodes.map(n => [n.name, n.address, n.zone])).toEqual([
      ["node-1", "10.250.255.11", "zone-a"],
      ["node-2", "10.250.255.12", "zone-b"],
      ["node-3", "10.250.255.13", "zone-a"],
    ]);
    for (const name of [plan.bridge, ...plan.nodes.map(n => n.vethHost)]) {
      expect(name.length).toBeLessThanOrEqual(15);
    }
  });

  it("is stable for a state dir and differs between state dirs", () => {
    expect(nodeNetworkPlan(STATE, 250, 3)).toEqual(plan);
    expect(nodeNetworkPlan(`${STATE}x`, 250, 3).bridge).not.toBe(plan.bridge);
  });

  it("refuses a node count it cannot address", () => {
    expect(() => nodeNetworkPlan(STATE, 250, 0)).toThrow(/1\.\.9/);
    expect(() => nodeNetworkPlan(STATE, 250, 10)).toThrow(/1\.\.9/);
  });

  it("builds the bridge, then each node's namespace with eth0 and a default route via the gateway", () => {
    const commands = networkUpCommands(plan).map(c => c.join(" "));
    expect(commands.slice(0, 3)).toEqual([
      `link add ${plan.bridge} type bridge`,
      `addr add 10.250.255.1/24 dev ${plan.bridge}`,
      `link set ${plan.bridge} up`,
    ]);
    expect(commands).toContain(`-n ${node1.netns} addr add 10.250.255.11/24 dev eth0`);
    expect(commands).toContain(`-n ${node1.netns} route add default via 10.250.255.1`);
    expect(podRouteCommand(node1, "10.250.0.0/24")).toEqual([
      "route",
      "replace",
      "10.250.0.0/24",
      "via",
      "10.250.255.11",
    ]);
    expect(networkDownCommands(plan).at(-1)).toEqual(["link", "delete", plan.bridge]);
  });
});

describe("node configuration", () => {
  const layout = nodeLayout(STATE, node1);

  it("keeps each node's containerd apart: own root, state, socket and runc root", () => {
    const toml = containerdConfig(layout, "/cache/cni");
    expect(toml).toContain(`root = "${STATE}/nodes/node-1/containerd/root"`);
    expect(toml).toContain(`address = "${STATE}/nodes/node-1/containerd.sock"`);
    expect(toml).toContain(`Root = "${STATE}/nodes/node-1/containerd/runc"`);
    // The host quirks the node runtime depends on.
    expect(toml).toContain("restrict_oom_score_adj = true");
    expect(toml).toContain('sandbox_image = "swh.local/pause:3.10"');
    expect(toml).toContain(`conf_template = "${layout.cniTemplate}"`);
  });

  it("gives pods a bridge with the node's pod range, filled in by containerd", () => {
    const conf = JSON.parse(cniTemplate(layout.cniIpamDir)) as {
      plugins: { type: string; ipam?: { dataDir?: string } }[];
    };
    expect(conf.plugins.map(p => p.type)).toEqual(["bridge", "portmap"]);
    expect(JSON.stringify(conf.plugins[0]?.ipam)).toContain("{{.PodCIDR}}");
  });

  it("keeps each node's address allocations in its own directory, purged with the box", () => {
    const conf = JSON.parse(cniTemplate(layout.cniIpamDir)) as {
      plugins: { ipam?: { dataDir?: string } }[];
    };
    expect(conf.plugins[0]?.ipam?.dataDir).toBe(layout.cniIpamDir);
    expect(layout.cniIpamDir.startsWith(`${layout.dir}/`)).toBe(true);
  });

  it("runs the kubelet on cgroupfs under the node's own cgroup parent, with webhook auth", () => {
    const config = parse(kubeletConfig(layout, node1, "/pki/ca.crt", "10.250.255.1")) as Record<
      string,
      unknown
    >;
    expect(config).toMatchObject({
      address: "10.250.255.11",
      clusterDNS: ["10.250.255.1"],
      clusterDomain: "cluster.local",
      cgroupDriver: "cgroupfs",
      cgroupRoot: `/${node1.netns}`,
      failCgroupV1: false,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true } },
      authorization: { mode: "Webhook" },
    });
    // The chart requests ephemeral storage: the kubelet must report it.
    expect(config.localStorageCapacityIsolation).toBeUndefined();
    expect(kubeletArgs(layout, node1)).toContain(
      "--node-labels=topology.kubernetes.io/zone=zone-a",
    );
  });

  it("runs kube-proxy in iptables mode on the node's address, pods local by the cluster range", () => {
    const config = parse(kubeProxyConfig(layout, node1, plan)) as Record<string, unknown>;
    expect(config).toMatchObject({
      mode: "iptables",
      clusterCIDR: "10.250.0.0/17",
      hostnameOverride: "node-1",
      bindAddress: "10.250.255.11",
    });
  });

  it("issues each kubelet a system:node identity", () => {
    const certs = nodeCertificates(plan);
    expect(certs.find(c => c.name === "node-node-2")).toMatchObject({
      commonName: "system:node:node-2",
      organization: "system:nodes",
    });
    expect(certs.map(c => c.commonName)).toContain("system:kube-proxy");
    expect(certs.map(c => c.commonName)).toContain("system:kube-scheduler");
  });
});

describe("cluster DNS", () => {
  it("serves the cluster zone from the API on the gateway, NXDOMAIN for everything else", () => {
    const text = corefile("10.250.255.1", "/state/admin.kubeconfig");
    const blocks = text.split(/\n(?=[.a-z])/);
    expect(blocks[0]).toMatch(/^cluster\.local:53 in-addr\.arpa:53 ip6\.arpa:53 \{/);
    expect(blocks[0]).toContain("kubernetes cluster.local in-addr.arpa ip6.arpa {");
    expect(blocks[0]).toContain("kubeconfig /state/admin.kubeconfig");
    expect(blocks[0]).toContain("ready 10.250.255.1:8181");
    expect(blocks[1]).toMatch(/^\.:53 \{/);
    expect(blocks[1]).toContain("rcode NXDOMAIN");
    for (const block of blocks) expect(block).toContain("bind 10.250.255.1");
  });
});

describe("control plane flags with and without nodes", () => {
  const layout = stateLayout(STATE);
  const pki = pkiFiles(layout.pkiDir);
  const ports = { etcdClient: 1, etcdPeer: 2, apiserver: 3, controllerManager: 4 };

  it("keeps a box without nodes on loopback with no kubernetes endpoints", () => {
    const args = apiserverArgs(layout, pki, ports, { audit: false });
    expect(args).toContain("--bind-address=127.0.0.1");
    expect(args).toContain("--endpoint-reconciler-type=none");
    expect(controllerManagerArgs(layout, pki, ports, [])).not.toContain(
      "--allocate-node-cidrs=true",
    );
  });

  it("advertises the gateway and allocates pod ranges when nodes run", () => {
    const args = apiserverArgs(layout, pki, ports, { audit: false, network: plan });
    expect(args).toContain("--bind-address=0.0.0.0");
    expect(args).toContain("--advertise-address=10.250.255.1");
    expect(args).toContain("--endpoint-reconciler-type=lease");
    const kcm = controllerManagerArgs(layout, pki, ports, ["nodeipam"], plan);
    expect(kcm).toContain("--allocate-node-cidrs=true");
    expect(kcm).toContain("--cluster-cidr=10.250.0.0/17");
  });
});

describe("node teardown", () => {
  it("lists the mounts under a node's dir deepest first, and nothing else", () => {
    const dir = `${STATE}/nodes/node-1`;
    const mounts = [
      `/dev/vda ${dir}/kubelet ext4 rw 0 0`,
      `tmpfs ${dir}/kubelet/pods/x/volumes/kubernetes.io~projected/kube-api-access tmpfs rw 0 0`,
      `tmpfs ${dir}-other/kubelet tmpfs rw 0 0`,
      "proc /proc proc rw 0 0",
    ].join("\n");
    expect(mountsUnder(dir, mounts)).toEqual([
      `${dir}/kubelet/pods/x/volumes/kubernetes.io~projected/kube-api-access`,
      `${dir}/kubelet`,
    ]);
  });
});
