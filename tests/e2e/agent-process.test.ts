// The shipped agent bundle, run as a process with its own ServiceAccount token against the
// cluster in a box: it starts, becomes ready, renews its Lease, publishes EndpointSlices that
// follow pod state, repairs a fenced slice, withdraws on a child Service conflict, writes nothing
// while nothing changes, and survives SIGKILL without a single slice write on restart.
//
// Pods are API objects (no kubelet) with TEST-NET addresses and no probes, so pod readiness
// decides endpoint readiness: probing itself is covered by the prober and scheduler tests.
import { jest } from "@jest/globals";
import { randomBytes } from "node:crypto";
import {
  ANNOTATION_ENDPOINT_REPORTS,
  ANNOTATION_FENCED_AT,
  LABEL_LEASE_COMPONENT,
  LABEL_NODE_NAME,
  LABEL_SERVICE_NAME,
  LEASE_COMPONENT_VALUE,
  MODULE_NAMESPACE,
  leaseNameForNode,
  type EndpointReport,
} from "../../api/contract.js";
import type { RawEndpointSlice, RawLease, RawList } from "swh-kube-client";
import {
  AgentProcess,
  agentArgs,
  buildAgentBundle,
  removeAgentBundle,
} from "../agent/agent-process.js";
import { ensureNamespace, putPod, setupAgentCluster, type AgentCluster } from "../agent/cluster.js";
import { applyYaml } from "../testenv/index.js";
import { eventually } from "./support/eventually.js";

jest.setTimeout(120_000);

const stateDir = process.env.SWH_TESTENV_DIR ?? "";
const suffix = randomBytes(3).toString("hex");
const ns = `agent-e2e-${suffix}`;
const node = `node-${suffix}`;

let cluster: AgentCluster;
let bundle: string;
let agent: AgentProcess | undefined;

const swhManifest = `
apiVersion: network.deckhouse.io/v1alpha1
kind: ServiceWithHealthchecks
metadata: {name: web, namespace: ${ns}}
spec:
  ports: [{name: http, port: 80, protocol: TCP, targetPort: web}]
  selector: {app: web}
`;

async function slices(): Promise<RawEndpointSlice[]> {
  const list = await cluster.admin.request<RawList<RawEndpointSlice>>({
    verb: "list",
    resource: "endpointslices",
    path: `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
    query: { labelSelector: `${LABEL_SERVICE_NAME}=web` },
  });
  return (list.items ?? []).sort((a, b) => (a.ports?.[0]?.port ?? 0) - (b.ports?.[0]?.port ?? 0));
}

function readyByPod(list: RawEndpointSlice[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const s of list)
    for (const e of s.endpoints ?? []) out[e.targetRef?.name ?? ""] = e.conditions?.ready ?? true;
  return out;
}

function versions(list: RawEndpointSlice[]): string[] {
  return list.map(s => `${s.metadata?.name}@${s.metadata?.resourceVersion}`);
}

async function start(extra: string[] = []): Promise<AgentProcess> {
  agent = new AgentProcess(bundle, agentArgs(node, cluster.agentKubeconfig, extra));
  await agent.waitFor("agent started");
  return agent;
}

beforeAll(async () => {
  bundle = buildAgentBundle();
  cluster = await setupAgentCluster(stateDir);
  await ensureNamespace(ns, stateDir);
  await applyYaml(swhManifest, { stateDir });
  const pods = [
    { name: "web-0", ip: "192.0.2.10", port: 8080, ready: true },
    { name: "web-1", ip: "192.0.2.11", port: 8080, ready: true },
    { name: "web-2", ip: "192.0.2.12", port: 8080, ready: false },
    { name: "web-3", ip: "192.0.2.13", port: 9090, ready: true },
  ];
  for (const p of pods) {
    await putPod(cluster.admin, {
      name: p.name,
      namespace: ns,
      nodeName: node,
      labels: { app: "web" },
      ips: [p.ip],
      ready: p.ready,
      ports: [{ name: "web", containerPort: p.port }],
    });
  }
  // A pod of the same app on another node: another agent's business.
  await putPod(cluster.admin, {
    name: "elsewhere",
    namespace: ns,
    nodeName: "other-node",
    labels: { app: "web" },
    ips: ["192.0.2.99"],
  });
});

afterEach(async () => {
  await agent?.stop("SIGKILL");
  agent = undefined;
});

afterAll(() => {
  cluster?.admin.close();
  if (bundle) removeAgentBundle(bundle);
});

describe("the agent process", () => {
  it("starts, becomes ready, renews its Lease and publishes one slice per port mapping", async () => {
    const a = await start();
    await eventually("ready", async () => expect((await a.get("/readyz")).status).toBe(200));
    expect((await a.get("/healthz")).status).toBe(200);

    const lease = await cluster.admin.request<RawLease>({
      verb: "get",
      resource: "leases",
      path: `/apis/coordination.k8s.io/v1/namespaces/${MODULE_NAMESPACE}/leases/${leaseNameForNode(node)}`,
    });
    expect(lease.metadata?.labels).toMatchObject({
      [LABEL_LEASE_COMPONENT]: LEASE_COMPONENT_VALUE,
      [LABEL_NODE_NAME]: node,
    });
    expect(lease.spec).toMatchObject({ holderIdentity: node, leaseDurationSeconds: 40 });

    const list = await eventually("slices published", async () => {
      const l = await slices();
      expect(l).toHaveLength(2);
      return l;
    });
    // Named targetPort `web` resolves to 8080 for three pods and 9090 for one: two slices.
    expect(
      list.map(s => [s.ports, (s.endpoints ?? []).map(e => e.targetRef?.name).sort()]),
    ).toEqual([
      [[{ name: "http", protocol: "TCP", port: 8080 }], ["web-0", "web-1", "web-2"]],
      [[{ name: "http", protocol: "TCP", port: 9090 }], ["web-3"]],
    ]);
    expect(readyByPod(list)).toEqual({
      "web-0": true,
      "web-1": true,
      "web-2": false,
      "web-3": true,
    });
    const reports = JSON.parse(
      list[0]!.metadata!.annotations![ANNOTATION_ENDPOINT_REPORTS]!,
    ) as EndpointReport[];
    expect(reports.find(r => r.pod === "web-2")).toMatchObject({
      ready: false,
      failedProbes: [{ probe: "Pod:Ready", reason: "pod is not Ready" }],
    });
    expect(list[0]!.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: "ServiceWithHealthchecks",
      name: "web",
      controller: true,
    });
  });

  it("follows pod readiness, repairs a fenced slice, and writes nothing while nothing changes", async () => {
    const a = await start();
    await eventually("published", async () => expect(await slices()).toHaveLength(2));

    const flippedAt = Date.now();
    await putPod(cluster.admin, {
      name: "web-2",
      namespace: ns,
      nodeName: node,
      labels: { app: "web" },
      ips: ["192.0.2.12"],
      ready: true,
      ports: [{ name: "web", containerPort: 8080 }],
    });
    await eventually(
      "web-2 ready",
      async () => expect(readyByPod(await slices())["web-2"]).toBe(true),
      10_000,
      10,
    );
    const propagationMs = Date.now() - flippedAt;
    expect(propagationMs).toBeLessThan(2_000);

    const [first] = await slices();
    await cluster.admin.request({
      verb: "patch",
      resource: "endpointslices",
      path: `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices/${first!.metadata!.name}`,
      contentType: "application/merge-patch+json",
      body: {
        metadata: { annotations: { [ANNOTATION_FENCED_AT]: new Date().toISOString() } },
        endpoints: (first!.endpoints ?? []).map(e => ({
          ...e,
          conditions: { ready: false, serving: false, terminating: false },
        })),
      },
    });
    await eventually("fencing repaired", async () => {
      const [s] = await slices();
      expect(s!.metadata?.annotations?.[ANNOTATION_FENCED_AT]).toBeUndefined();
      expect((s!.endpoints ?? []).every(e => e.conditions?.ready)).toBe(true);
    });

    const before = versions(await slices());
    const writes = await a.metric(
      'swh_agent_endpointslice_writes_total{op="update",result="success"}',
    );
    await new Promise(r => setTimeout(r, 3_000));
    expect(versions(await slices())).toEqual(before);
    expect(
      await a.metric('swh_agent_endpointslice_writes_total{op="update",result="success"}'),
    ).toBe(writes);
  });

  it("withdraws its slices while the child Service is in conflict and republishes after", async () => {
    await start();
    await eventually("published", async () => expect(await slices()).toHaveLength(2));
    const statusPath = `/apis/network.deckhouse.io/v1alpha1/namespaces/${ns}/servicewithhealthchecks/web/status`;
    const condition = (status: string, reason: string) => ({
      status: {
        conditions: [
          {
            type: "ChildServiceReady",
            status,
            reason,
            message: "test",
            lastTransitionTime: new Date().toISOString(),
          },
        ],
      },
    });
    const patch = (body: object) =>
      cluster.admin.request({
        verb: "patch",
        resource: "servicewithhealthchecks",
        path: statusPath,
        contentType: "application/merge-patch+json",
        body,
      });
    await patch(condition("False", "ChildServiceConflict"));
    await eventually("withdrawn", async () => expect(await slices()).toHaveLength(0));
    await patch(condition("True", "ChildServiceWasCreated"));
    await eventually("republished", async () => expect(await slices()).toHaveLength(2));
  });

  it("restarts after SIGKILL without writing a single slice, and keeps slices and Lease on SIGTERM", async () => {
    const first = await start();
    await eventually("published", async () => expect(await slices()).toHaveLength(2));
    await eventually("settled", async () => {
      const v = versions(await slices());
      await new Promise(r => setTimeout(r, 300));
      expect(versions(await slices())).toEqual(v);
    });
    const before = versions(await slices());
    expect(await first.stop("SIGKILL")).toBeNull();

    const second = await start();
    const started = second.lines.find(l => l.msg === "agent started")!;
    expect(started.adoptedEndpoints).toBe(4);
    await eventually("ready again", async () =>
      expect((await second.get("/readyz")).status).toBe(200),
    );
    await new Promise(r => setTimeout(r, 1_000));
    expect(versions(await slices())).toEqual(before);
    expect(
      await second.metric('swh_agent_endpointslice_writes_total{op="update",result="success"}'),
    ).toBe(0);
    expect(
      await second.metric('swh_agent_endpointslice_writes_total{op="create",result="success"}'),
    ).toBe(0);

    const leasePath = `/apis/coordination.k8s.io/v1/namespaces/${MODULE_NAMESPACE}/leases/${leaseNameForNode(node)}`;
    const leaseBefore = await cluster.admin.request<RawLease>({
      verb: "get",
      resource: "leases",
      path: leasePath,
    });
    const stoppedAt = Date.now();
    expect(await second.stop("SIGTERM")).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(second.lines.some(l => String(l.msg).startsWith("stopping"))).toBe(true);
    expect(versions(await slices())).toEqual(before);
    const leaseAfter = await cluster.admin.request<RawLease>({
      verb: "get",
      resource: "leases",
      path: leasePath,
    });
    expect(leaseAfter.spec?.holderIdentity).toBe(node);
    expect(leaseAfter.metadata?.resourceVersion).toBe(leaseBefore.metadata?.resourceVersion);
  });

  it("exits 2 with a clear message on bad configuration", async () => {
    const bad = new AgentProcess(bundle, ["--lease-duration", "1s"]);
    expect(await bad.exited()).toBe(2);
    expect(bad.stderr.join("")).toContain("--node-name (or $NODE_NAME) is required");
    expect(bad.stderr.join("")).toContain("--lease-duration: must be at least 5s");
  });
});
