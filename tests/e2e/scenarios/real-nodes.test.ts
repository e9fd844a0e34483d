// The module on real nodes: the scenarios' box with three kubelets (containerd, runc, CNI bridge,
// kube-proxy in iptables mode, each node in its own network namespace), the module installed by
// the real addon-operator with the images built here, and the chart's agent DaemonSet run by the
// real DaemonSet controller and kubelets. Asserts what a platform engineer meets first: the agent
// image starts under the chart's securityContext and passes kubelet's probes, and a client's
// traffic through a ServiceWithHealthchecks' cluster IP (kube-proxy) reaches only the endpoints
// the agents publish ready.
import { jest } from "@jest/globals";
import { answersByBackend } from "../../cluster/backends/load.js";
import {
  hostProcesses,
  procStatus,
  rootMountOptions,
} from "../../cluster/scenario/host-processes.js";
import { listItems } from "../../cluster/kube.js";
import { readyPods } from "../../cluster/scenario/endpoints.js";
import { applyManifest, withNamespace, type Manifest } from "../../cluster/scenario/objects.js";
import {
  releaseScenarioWorld,
  SCENARIO_NODES,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioStateDir,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import type { World } from "../../cluster/world/world.js";
import { clusterIp, startRealPods } from "../../cluster/scenario/real-pods.js";
import {
  heal,
  recordFailover,
  recordVmOutcome,
  runFailover,
  runVmWebFailure,
  servedThrough,
  type FailoverOutcome,
} from "../../cluster/scenario/seed002.js";
import { httpSwh, seedIn } from "../../cluster/scenario/swh.js";
import { boxNodePlan } from "../../cluster/world/real-nodes.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(600_000);

const NODES: readonly string[] = SCENARIO_NODES;

interface PodJson {
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly nodeName?: string;
    readonly securityContext?: Record<string, unknown>;
    readonly containers: readonly {
      readonly name: string;
      readonly securityContext?: Record<string, unknown>;
    }[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly containerStatuses?: readonly {
      readonly name: string;
      readonly ready?: boolean;
    }[];
  };
}

describe("real nodes: the agent DaemonSet under kubelet, traffic through kube-proxy", () => {
  let world: World;

  beforeAll(async () => {
    ({ world } = await scenarioWorld());
  }, SCENARIO_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await releaseScenarioWorld();
  });

  it("runs one agent pod per node under the chart's securityContext, Ready by kubelet's probes", async () => {
    const pods = await listItems<PodJson>(
      world.rest,
      "/api/v1/namespaces/d8-service-with-healthchecks/pods",
      "app=agent",
    );
    expect(pods.map(p => p.spec.nodeName).sort()).toEqual(NODES);
    for (const pod of pods) {
      expect(pod.status?.phase).toBe("Running");
      const statuses = pod.status?.containerStatuses ?? [];
      expect(statuses.map(c => c.name).sort()).toEqual(["agent", "kube-rbac-proxy"]);
      // Ready by kubelet's readiness probes (other scenarios kill agent containers, so restarts
      // are not counted here).
      for (const c of statuses) expect(c.ready).toBe(true);
      expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 64535 });
      const agent = pod.spec.containers.find(c => c.name === "agent");
      expect(agent?.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      });
    }
    // What runc made of it, read off the host: three agent processes, user 64535, no
    // capabilities, a read-only root.
    const plan = await boxNodePlan(scenarioStateDir());
    const agents = hostProcesses("/agent/agent.mjs", plan?.nodes.map(n => `/${n.netns}`) ?? []);
    expect(agents).toHaveLength(NODES.length);
    for (const pid of agents) {
      const status = procStatus(pid);
      expect(status.get("Uid")?.split(/\s+/)).toEqual(["64535", "64535", "64535", "64535"]);
      expect(status.get("CapEff")).toBe("0000000000000000");
      expect(status.get("NoNewPrivs")).toBe("1");
      expect(rootMountOptions(pid)).toContain("ro");
    }
  });

  it("sends a client's requests through the cluster IP only to endpoints the agents publish ready", async () => {
    await withNamespace(world, "traffic", async ns => {
      const web = NODES.map((node, i) => ({
        name: `web-${i + 1}`,
        namespace: ns,
        node,
        labels: { app: "web" },
        serve: ["http:web:8080:/healthz"],
      }));
      const client = { name: "client", namespace: ns, node: "node-3" };
      const pods = await startRealPods(world, [...web, client]);
      await applyManifest(world, httpSwh(ns, "web", { failureThreshold: 2 }));
      await eventually(
        "all three web pods ready in the Service",
        async () => expect(await readyPods(world, ns, "web")).toEqual(["web-1", "web-2", "web-3"]),
        60_000,
        250,
      );
      const url = `http://${await clusterIp(world, ns, "web")}/`;
      const load = { url, durationMs: 3000, ratePerSecond: 30, timeoutMs: 2000 };
      const loader = pods.get("client")!.backend;
      await servedThrough(loader, url);
      const before = await loader.load(load);
      expect(before.failed).toBe(0);
      expect([...answersByBackend(before).keys()].sort()).toEqual(["web-1", "web-2", "web-3"]);

      await pods.get("web-2")!.backend.setHealth("web", 503);
      await eventually(
        "web-2 out of the Service",
        async () => expect(await readyPods(world, ns, "web")).toEqual(["web-1", "web-3"]),
        30_000,
        100,
      );
      // kube-proxy applies the change within its sync; then web-2 gets nothing.
      await eventually(
        "no request reaches web-2",
        async () => {
          const during = await loader.load({ ...load, durationMs: 2000 });
          expect(during.failed).toBe(0);
          expect([...answersByBackend(during).keys()].sort()).toEqual(["web-1", "web-3"]);
        },
        30_000,
        0,
      );

      await pods.get("web-2")!.backend.setHealth("web", 200);
      await eventually(
        "web-2 back in the Service",
        async () => expect(await readyPods(world, ns, "web")).toEqual(["web-1", "web-2", "web-3"]),
        30_000,
        100,
      );
    });
  });

  it("keeps a client's traffic in its zone or on its node as trafficDistribution asks, and falls back", async () => {
    await withNamespace(world, "topology", async ns => {
      // node-1 and node-3 are in zone-a, node-2 in zone-b (testenv's round robin).
      const web = NODES.map((node, i) => ({
        name: `web-${i + 1}`,
        namespace: ns,
        node,
        labels: { app: "web" },
        serve: ["http:web:8080:/healthz"],
      }));
      const clients = NODES.map((node, i) => ({ name: `client-${i + 1}`, namespace: ns, node }));
      const pods = await startRealPods(world, [...web, ...clients]);
      const swh = (trafficDistribution: string): Manifest =>
        httpSwh(ns, "web", { failureThreshold: 2, spec: { trafficDistribution } });
      await applyManifest(world, swh("PreferClose"));
      const all = ["web-1", "web-2", "web-3"];
      await eventually(
        "three ready endpoints",
        async () => expect(await readyPods(world, ns, "web")).toEqual(all),
        60_000,
        250,
      );
      const url = `http://${await clusterIp(world, ns, "web")}/`;
      const answered = async (client: string): Promise<string[]> => {
        const report = await pods
          .get(client)!
          .backend.load({ url, durationMs: 1500, ratePerSecond: 30, timeoutMs: 2000 });
        expect(report.failed).toBe(0);
        return [...answersByBackend(report).keys()].sort();
      };
      // kube-proxy applies hints once every ready endpoint carries them.
      await eventually(
        "zone-b's client served in its zone",
        async () => expect(await answered("client-2")).toEqual(["web-2"]),
        30_000,
        0,
      );
      expect(await answered("client-1")).toEqual(["web-1", "web-3"]);

      await pods.get("web-2")!.backend.setHealth("web", 503);
      await eventually(
        "web-2 out",
        async () => expect(await readyPods(world, ns, "web")).toEqual(["web-1", "web-3"]),
        30_000,
        100,
      );
      await eventually(
        "zone-b's client falls back to zone-a",
        async () => expect(await answered("client-2")).toEqual(["web-1", "web-3"]),
        30_000,
        0,
      );
      await pods.get("web-2")!.backend.setHealth("web", 200);

      await applyManifest(world, swh("PreferSameNode"));
      await eventually(
        "every client served on its own node",
        async () => {
          await expect(readyPods(world, ns, "web")).resolves.toEqual(all);
          for (const i of [1, 2, 3]) expect(await answered(`client-${i}`)).toEqual([`web-${i}`]);
        },
        60_000,
        0,
      );
    });
  });

  it("the seed's VM: web fails on one VM, web clients move to the other, smtp clients see no error", async () => {
    await withNamespace(world, "vm", async ns => {
      const vm = (i: number, node: string) => ({
        name: `virt-launcher-vm-${i}`,
        namespace: ns,
        node,
        labels: { vm: "my-vm" },
        serve: ["http:web:8080:/healthz", "tcp:smtp:2525"],
      });
      const pods = await startRealPods(world, [
        vm(1, "node-1"),
        vm(2, "node-2"),
        { name: "client", namespace: ns, node: "node-3" },
      ]);
      // The seed's two manifests, verbatim (default probe timing: 10 s, 3 failures).
      await applyManifest(world, seedIn("web", ns));
      await applyManifest(world, seedIn("smtp", ns));
      const both = ["virt-launcher-vm-1", "virt-launcher-vm-2"];
      for (const svc of ["web", "smtp"]) {
        await eventually(
          `${svc}: both VMs ready`,
          async () => expect(await readyPods(world, ns, svc)).toEqual(both),
          90_000,
          500,
        );
      }
      const client = pods.get("client")!.backend;
      const webUrl = `http://${await clusterIp(world, ns, "web")}/`;
      const smtpUrl = `tcp://${await clusterIp(world, ns, "smtp")}:25`;
      await servedThrough(client, webUrl);
      await servedThrough(client, smtpUrl);
      const { web, smtp } = await runVmWebFailure({
        client,
        webUrl,
        smtpUrl,
        failing: pods.get(both[0]!)!.backend,
        failingPod: both[0]!,
        durationMs: 45_000,
        failAfterMs: 5_000,
        ratePerSecond: 10,
      });
      // smtp never noticed: every greeting arrived, from both VMs.
      expect(smtp.failed).toBe(0);
      expect([...answersByBackend(smtp).keys()].sort()).toEqual(both);
      await recordVmOutcome(web);
      await eventually(
        "web has only the healthy VM",
        async () => expect(await readyPods(world, ns, "web")).toEqual([both[1]]),
        60_000,
        500,
      );
      expect(await readyPods(world, ns, "smtp")).toEqual(both);
      const after = await client.load({
        url: webUrl,
        durationMs: 2000,
        ratePerSecond: 20,
        timeoutMs: 2000,
      });
      expect(after.failed).toBe(0);
      expect([...answersByBackend(after).keys()]).toEqual([both[1]]);
    });
  });

  it("seed 002: a backend failing under load, plain Service with readinessProbe vs ServiceWithHealthchecks", async () => {
    // The seed's probe: every second; the kubelet's default failureThreshold (3) on both sides.
    const probe = { periodSeconds: 1, failureThreshold: 3 };
    await withNamespace(world, "seed002", async ns => {
      const backends = (variant: string): RealPod[] =>
        NODES.map((node, i) => ({
          name: `${variant}-${i + 1}`,
          namespace: ns,
          node,
          labels: { app: variant },
          serve: ["http:web:8080:/healthz"],
          ...(variant === "plain"
            ? {
                readinessProbe: {
                  httpGet: { path: "/healthz", port: 8080 },
                  initialDelaySeconds: 1,
                  ...probe,
                },
              }
            : {}),
        }));
      const pods = await startRealPods(world, [
        ...backends("plain"),
        ...backends("swh"),
        { name: "client", namespace: ns, node: "node-3" },
      ]);
      await applyManifest(world, {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "plain", namespace: ns },
        spec: { selector: { app: "plain" }, ports: [{ port: 80, targetPort: 8080 }] },
      });
      await applyManifest(world, httpSwh(ns, "swh", probe));
      const client = pods.get("client")!.backend;
      /** One run of `variant` whose first backend fails by `mode`; the backend healed after. */
      const run = async (variant: string, mode: "503" | "refuse"): Promise<FailoverOutcome> => {
        const failing = pods.get(`${variant}-1`)!.backend;
        await heal(failing, mode);
        const all = [1, 2, 3].map(i => `${variant}-${i}`);
        await eventually(
          `${variant}: three ready endpoints`,
          async () => expect(await readyPods(world, ns, variant)).toEqual(all),
          60_000,
          250,
        );
        const url = `http://${await clusterIp(world, ns, variant)}/`;
        await servedThrough(client, url);
        const outcome = await runFailover({
          client,
          url,
          failing,
          failingPod: `${variant}-1`,
          mode,
          durationMs: 12_000,
          failAfterMs: 3_000,
          ratePerSecond: 50,
        });
        // Once the endpoint is out, the client gets no error and nothing reaches the backend.
        await eventually(
          `${variant}: ${variant}-1 out of the Service`,
          async () => expect(await readyPods(world, ns, variant)).toEqual(all.slice(1)),
          30_000,
          250,
        );
        const after = await client.load({
          url,
          durationMs: 2000,
          ratePerSecond: 50,
          timeoutMs: 2000,
        });
        expect(after.failed).toBe(0);
        expect([...answersByBackend(after).keys()].sort()).toEqual(all.slice(1));
        await heal(failing, mode);
        return outcome;
      };
      // The two variants side by side, at the same time on the same client: same conditions.
      for (const mode of ["503", "refuse"] as const) {
        const [plain, swh] = await Promise.all([run("plain", mode), run("swh", mode)]);
        await recordFailover("plain", mode, plain);
        await recordFailover("swh", mode, swh);
      }
    });
  });
});

type RealPod = Parameters<typeof startRealPods>[1][number];
