// The module on real nodes: a box of its own with three kubelets (containerd, runc, CNI bridge,
// kube-proxy in iptables mode, each node in its own network namespace), the module installed by
// the real addon-operator with the images built here, and the chart's agent DaemonSet run by the
// real DaemonSet controller and kubelets. Asserts what a platform engineer meets first: the agent
// image starts under the chart's securityContext and passes kubelet's probes, and a client's
// traffic through a ServiceWithHealthchecks' cluster IP (kube-proxy) reaches only the endpoints
// the agents publish ready.
import { readFileSync, readdirSync } from "node:fs";
import { jest } from "@jest/globals";
import { SWH_API_VERSION, SWH_KIND } from "../../../api/contract.js";
import type { LoadReport } from "../../cluster/backends/load.js";
import { listItems } from "../../cluster/kube.js";
import { readyPods } from "../../cluster/scenario/endpoints.js";
import { applyManifest, createNamespace, deleteNamespace } from "../../cluster/scenario/objects.js";
import { ownWorld, releaseOwnWorld, type OwnWorld } from "../../cluster/scenario/own-box.js";
import { SCENARIO_SETUP_TIMEOUT_MS } from "../../cluster/scenario/context.js";
import { clusterIp, startRealPods } from "../../cluster/scenario/real-pods.js";
import { recordMeasurement } from "../../cluster/scenario/report.js";
import { runFailover, type FailureMode } from "../../cluster/scenario/seed002.js";
import type { BackendClient } from "../../cluster/backends/client.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(600_000);

const SUFFIX = "nodes";
const NODES = ["node-1", "node-2", "node-3"];

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
      readonly restartCount?: number;
    }[];
  };
}

/** Host processes whose command line contains `needle` (the containers' processes are visible). */
function hostProcesses(needle: string): number[] {
  return readdirSync("/proc")
    .filter(e => /^\d+$/.test(e))
    .filter(pid => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The `Name:\tvalue` fields of /proc/<pid>/status. */
function procStatus(pid: number): Map<string, string> {
  const lines = readFileSync(`/proc/${pid}/status`, "utf8").split("\n");
  return new Map(lines.map(l => [l.split(":")[0] ?? "", l.slice(l.indexOf(":") + 1).trim()]));
}

/** The mount options of a process's root (`/`), from its mountinfo. */
function rootMountOptions(pid: number): string[] {
  const line = readFileSync(`/proc/${pid}/mountinfo`, "utf8")
    .split("\n")
    .find(l => l.split(" ")[4] === "/");
  return (line?.split(" ")[5] ?? "").split(",");
}

/** Samples of a load by the pod that answered (`error` when none did). */
function byBackend(report: LoadReport): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of report.samples) {
    const key = s.backend ?? `error ${s.error ?? s.status ?? "?"}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

describe("real nodes: the agent DaemonSet under kubelet, traffic through kube-proxy", () => {
  let own: OwnWorld | undefined;

  beforeAll(async () => {
    own = await ownWorld(SUFFIX, { nodes: NODES.length });
  }, SCENARIO_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await releaseOwnWorld(own, SUFFIX);
  }, 300_000);

  it("runs one agent pod per node under the chart's securityContext, Ready by kubelet's probes", async () => {
    const world = own!.world;
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
      for (const c of statuses) {
        expect(c.ready).toBe(true);
        expect(c.restartCount).toBe(0);
      }
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
    const agents = hostProcesses("/agent/agent.mjs");
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
    const world = own!.world;
    const ns = await createNamespace(world, "traffic");
    try {
      const web = NODES.map((node, i) => ({
        name: `web-${i + 1}`,
        namespace: ns,
        node,
        labels: { app: "web" },
        serve: ["http:web:8080:/healthz"],
      }));
      const client = { name: "client", namespace: ns, node: "node-3" };
      const pods = await startRealPods(world, [...web, client]);
      await applyManifest(world, {
        apiVersion: SWH_API_VERSION,
        kind: SWH_KIND,
        metadata: { name: "web", namespace: ns },
        spec: {
          selector: { app: "web" },
          ports: [{ port: 80, targetPort: 8080 }],
          healthcheck: {
            initialDelaySeconds: 0,
            periodSeconds: 1,
            probes: [
              { mode: "HTTP", failureThreshold: 2, http: { targetPort: 8080, path: "/healthz" } },
            ],
          },
        },
      });
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
      expect([...byBackend(before).keys()].sort()).toEqual(["web-1", "web-2", "web-3"]);

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
          expect([...byBackend(during).keys()].sort()).toEqual(["web-1", "web-3"]);
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
    } finally {
      await deleteNamespace(world, ns);
    }
  });

  it("seed 002: a backend failing under load, plain Service with readinessProbe vs ServiceWithHealthchecks", async () => {
    const world = own!.world;
    const ns = await createNamespace(world, "seed002");
    // The seed's probe: every second; the kubelet's default failureThreshold (3) on both sides.
    const probe = { periodSeconds: 1, failureThreshold: 3 };
    try {
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
      await applyManifest(world, {
        apiVersion: SWH_API_VERSION,
        kind: SWH_KIND,
        metadata: { name: "swh", namespace: ns },
        spec: {
          selector: { app: "swh" },
          ports: [{ port: 80, targetPort: 8080 }],
          healthcheck: {
            initialDelaySeconds: 0,
            periodSeconds: probe.periodSeconds,
            probes: [
              {
                mode: "HTTP",
                failureThreshold: probe.failureThreshold,
                http: { targetPort: 8080, path: "/healthz" },
              },
            ],
          },
        },
      });
      const client = pods.get("client")!.backend;
      for (const mode of ["503", "refuse"] as const) {
        for (const variant of ["plain", "swh"]) {
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
          await recordOutcome(variant, mode, outcome);
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
          expect([...byBackend(after).keys()].sort()).toEqual(all.slice(1));
          await heal(failing, mode);
        }
      }
    } finally {
      await deleteNamespace(world, ns);
    }
  });
});

type RealPod = Parameters<typeof startRealPods>[1][number];

/**
 * Waits until kube-proxy on the client's node has programmed the Service (a second of requests
 * without a failure), so a measurement starts from a working Service.
 */
async function servedThrough(client: BackendClient, url: string): Promise<void> {
  await eventually(
    `requests through ${url} succeed`,
    async () => {
      const probe = await client.load({
        url,
        durationMs: 1000,
        ratePerSecond: 20,
        timeoutMs: 2000,
      });
      expect(probe.failed).toBe(0);
    },
    60_000,
    0,
  );
}

/** Undoes a failure of runFailover. */
async function heal(backend: BackendClient, mode: FailureMode): Promise<void> {
  if (mode === "503") await backend.setHealth("web", 200);
  else await backend.startServer("web");
}

async function recordOutcome(
  variant: string,
  mode: FailureMode,
  outcome: Awaited<ReturnType<typeof runFailover>>,
): Promise<void> {
  const what = `${variant === "plain" ? "plain Service + readinessProbe" : "ServiceWithHealthchecks"}, backend ${mode === "503" ? "answering 503" : "refusing connections"}, 50 req/s`;
  await recordMeasurement({
    name: `seed002.${variant}.${mode}.failedRequests`,
    value: outcome.failed,
    unit: "count",
    description: `${what}: failed requests out of ${outcome.sent}`,
  });
  await recordMeasurement({
    name: `seed002.${variant}.${mode}.cutoverMs`,
    value: outcome.cutoverMs,
    unit: "ms",
    description: `${what}: from the failure to the last request sent to the failing backend`,
  });
}
