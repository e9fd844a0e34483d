// Agents dying, three ways, on real nodes. The agent container SIGKILLed (a crash, an OOM kill)
// and restarted by the kubelet, and `kubectl rollout restart` of the agent DaemonSet (the real
// DaemonSet controller replaces every agent pod): the new process adopts its EndpointSlices and
// keeps every published state until a fresh probe crosses a threshold, so no healthy endpoint
// flips — watched the way kube-proxy watches. A node that hangs (every process on it stopped,
// its link cut): its agent stops renewing its Lease, and the fencing hook marks its endpoints not
// ready within the Lease duration (8 s in the e2e settings) plus one hook period (5 s); the node
// comes back and the fence is lifted. The times are recorded in build/e2e-report.json.
import { jest } from "@jest/globals";
import { ANNOTATION_FENCED_AT } from "../../../api/contract.js";
import { readyPods, serviceEndpoints, serviceSlices } from "../../cluster/scenario/endpoints.js";
import { applyManifest, createNamespace, deleteNamespace } from "../../cluster/scenario/objects.js";
import {
  releaseScenarioWorld,
  SCENARIO_NODES,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import {
  AGENT_NAMESPACE,
  agentPod,
  containerOf,
  freezeNode,
  killContainer,
  rolloutRestart,
  type FrozenNode,
} from "../../cluster/scenario/node-faults.js";
import { startRealPods } from "../../cluster/scenario/real-pods.js";
import { EndpointRecorder } from "../../cluster/scenario/recorder.js";
import { recordMeasurement } from "../../cluster/scenario/report.js";
import { httpSwh } from "../../cluster/scenario/swh.js";
import { waitDaemonSetRolledOut } from "../../cluster/world/real-nodes.js";
import { E2E_SETTINGS, type World } from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(300_000);

let world: World;
let ns: string;
let frozen: FrozenNode | undefined;
const APPS = ["app-0", "app-1", "app-2"];
const LEASE_SECONDS = (E2E_SETTINGS.heartbeat as { leaseDurationSeconds: number })
  .leaseDurationSeconds;
/** The fencing hook's schedule (hooks/endpointslice-gc/hook.ts: every 5 s). */
const HOOK_PERIOD_SECONDS = 5;

beforeAll(async () => {
  ({ world } = await scenarioWorld());
  ns = await createNamespace(world, "swh-agents");
  await startRealPods(
    world,
    SCENARIO_NODES.map((node, i) => ({
      name: `app-${i}`,
      namespace: ns,
      node,
      labels: { app: "app" },
      serve: ["http:app:8080:/healthz"],
      ports: [{ name: "http", containerPort: 8080 }],
    })),
  );
  await applyManifest(world, httpSwh(ns, "app"));
  await eventually(
    "app has three ready endpoints",
    async () => {
      expect(await readyPods(world, ns, "app")).toEqual(APPS);
    },
    60_000,
    250,
  );
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  // Whatever happened, no node stays hung for the next scenario.
  await frozen?.thaw();
  if (ns) await deleteNamespace(world, ns);
  await releaseScenarioWorld();
});

/** Watches app's slices across `disrupt` and the 8 s after it; returns the readiness changes. */
async function flapsAcross(disrupt: () => Promise<void>): Promise<number> {
  const recorder = new EndpointRecorder(world, ns, "app");
  await recorder.start();
  try {
    const since = Date.now();
    await disrupt();
    // Several probe periods with the new agents in charge.
    await new Promise(resolve => setTimeout(resolve, 8_000));
    const flaps = recorder.changesSince(since);
    expect(flaps).toEqual([]);
    expect(await readyPods(world, ns, "app")).toEqual(APPS);
    return flaps.length;
  } finally {
    await recorder.stop();
  }
}

describe("an agent killed and restarted by the kubelet", () => {
  it("flips no healthy endpoint (zero flaps)", async () => {
    const before = await agentPod(world, "node-1");
    const restarts = containerOf(before, "agent")?.restartCount ?? 0;
    const flaps = await flapsAcross(async () => {
      const killed = await killContainer(world, AGENT_NAMESPACE, before.metadata.name, "agent");
      await eventually(
        "the kubelet restarted the agent container and it is ready",
        async () => {
          const agent = containerOf(await agentPod(world, "node-1"), "agent");
          expect(agent?.restartCount).toBe(restarts + 1);
          expect(agent?.containerID).not.toContain(killed);
          expect(agent?.ready).toBe(true);
        },
        90_000,
        250,
      );
    });
    await recordMeasurement({
      name: "agent.restartFlaps",
      value: flaps,
      unit: "count",
      description:
        "endpoint readiness changes seen by a slice watcher across SIGKILL of the agent container and its restart by the kubelet",
    });
  });
});

describe("kubectl rollout restart of the agent DaemonSet", () => {
  it("replaces every agent pod and flips no healthy endpoint", async () => {
    const before = await Promise.all(SCENARIO_NODES.map(node => agentPod(world, node)));
    const flaps = await flapsAcross(async () => {
      const generation = await rolloutRestart(world, AGENT_NAMESPACE, "agent");
      await waitDaemonSetRolledOut(world.rest, generation);
    });
    const after = await Promise.all(SCENARIO_NODES.map(node => agentPod(world, node)));
    for (const [i, pod] of after.entries()) {
      expect(pod.metadata.uid).not.toBe(before[i]?.metadata.uid);
    }
    await recordMeasurement({
      name: "agent.rolloutRestartFlaps",
      value: flaps,
      unit: "count",
      description:
        "endpoint readiness changes seen by a slice watcher across kubectl rollout restart of the agent DaemonSet (three nodes, one pod at a time)",
    });
  });
});

describe("a node that hangs", () => {
  it("has its endpoints fenced (not ready) within the Lease duration plus one hook period", async () => {
    frozen = await freezeNode(world, "node-2");
    const frozenAt = Date.now();
    const fenced = await eventually(
      "app-1 (node-2) is fenced",
      async () => {
        const rows = (await serviceEndpoints(world, ns, "app")).filter(r => r.pod === "app-1");
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.every(r => !r.ready && r.fenced)).toBe(true);
        return Date.now() - frozenAt;
      },
      60_000,
      200,
    );
    // The other nodes' endpoints are untouched.
    expect(await readyPods(world, ns, "app")).toEqual(["app-0", "app-2"]);
    const slices = await serviceSlices(world, ns, "app");
    expect(slices.filter(s => s.metadata?.annotations?.[ANNOTATION_FENCED_AT]).length).toBe(1);
    await recordMeasurement({
      name: "agent.deadAgentFencedMs",
      value: fenced,
      unit: "ms",
      description: `node hung (its processes stopped, its link cut) -> its endpoints not ready in the slices (bound: Lease ${LEASE_SECONDS} s + hook period ${HOOK_PERIOD_SECONDS} s)`,
    });
    process.stdout.write(
      `fenced after ${(fenced / 1000).toFixed(1)} s (bound ${LEASE_SECONDS + HOOK_PERIOD_SECONDS} s; the Lease was renewed up to 2 s before the freeze)\n`,
    );
  });

  it("gets its endpoints back, unfenced, when the node comes back", async () => {
    await frozen?.thaw();
    frozen = undefined;
    await eventually(
      "app-1 ready again and the fence lifted",
      async () => {
        const rows = (await serviceEndpoints(world, ns, "app")).filter(r => r.pod === "app-1");
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.every(r => r.ready && !r.fenced)).toBe(true);
      },
      90_000,
      250,
    );
    expect(await readyPods(world, ns, "app")).toEqual(APPS);
  });
});
