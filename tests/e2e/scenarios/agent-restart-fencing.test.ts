// Agents dying, two ways. SIGKILL and an immediate restart (a crash, an OOM kill, a rollout):
// the new process adopts its EndpointSlices and keeps every published state until a fresh probe
// crosses a threshold, so no healthy endpoint flips — watched the way kube-proxy watches. An
// agent that stays dead stops renewing its Lease; the fencing hook then marks its endpoints not
// ready, within the Lease duration (8 s in the e2e settings) plus one hook period (5 s). The
// times are recorded in build/e2e-report.json.
import { jest } from "@jest/globals";
import { ANNOTATION_FENCED_AT, SWH_API_VERSION, SWH_KIND } from "../../../api/contract.js";
import type { Artefacts } from "../../cluster/builds.js";
import { readyPods, serviceEndpoints, serviceSlices } from "../../cluster/scenario/endpoints.js";
import { applyManifest, createNamespace, deleteNamespace } from "../../cluster/scenario/objects.js";
import {
  releaseScenarioWorld,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { EndpointRecorder } from "../../cluster/scenario/recorder.js";
import { recordMeasurement } from "../../cluster/scenario/report.js";
import { startBackend, stopBackend } from "../../cluster/world/backends.js";
import { createPod, deletePod, type FakePod } from "../../cluster/world/pods.js";
import {
  E2E_SETTINGS,
  ensureNodeAgent,
  startNodeAgent,
  stopNodeAgent,
  type World,
} from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(300_000);

let world: World;
let artefacts: Artefacts;
let ns: string;
const pods: FakePod[] = [];
const backendName = (): string => `app-${ns}`;
const LEASE_SECONDS = (E2E_SETTINGS.heartbeat as { leaseDurationSeconds: number })
  .leaseDurationSeconds;
/** The fencing hook's schedule (hooks/endpointslice-gc/hook.ts: every 5 s). */
const HOOK_PERIOD_SECONDS = 5;

beforeAll(async () => {
  ({ world, artefacts } = await scenarioWorld());
  ns = await createNamespace(world, "swh-agents");
  const backend = await startBackend(world, backendName(), artefacts.backendBundle);
  for (const [i, node] of ["node-1", "node-2", "node-3"].entries()) {
    const pod = await createPod(world, {
      namespace: ns,
      name: `app-${i}`,
      labels: { app: "app" },
      node,
      containers: [{ name: "app", ports: [{ containerPort: 8080 }] }],
    });
    pods.push(pod);
    await backend.httpServer(`app-${i}`, pod.addresses.ipv4, 8080);
  }
  await applyManifest(world, {
    apiVersion: SWH_API_VERSION,
    kind: SWH_KIND,
    metadata: { name: "app", namespace: ns },
    spec: {
      selector: { app: "app" },
      ports: [{ port: 80, targetPort: 8080 }],
      healthcheck: {
        periodSeconds: 1,
        initialDelaySeconds: 0,
        probes: [{ mode: "HTTP", http: { targetPort: 8080, path: "/healthz" } }],
      },
    },
  });
  await eventually(
    "app has three ready endpoints",
    async () => {
      expect(await readyPods(world, ns, "app")).toEqual(["app-0", "app-1", "app-2"]);
    },
    60_000,
    250,
  );
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  // Whatever happened, every node has a live agent again for the next scenario.
  for (const node of ["node-1", "node-2", "node-3"]) await ensureNodeAgent(world, node);
  if (ns) {
    await stopBackend(world, backendName());
    for (const pod of pods) await deletePod(world, pod);
    await deleteNamespace(world, ns);
  }
  await releaseScenarioWorld();
});

describe("an agent killed and restarted", () => {
  it("flips no healthy endpoint (zero flaps)", async () => {
    const recorder = new EndpointRecorder(world, ns, "app");
    await recorder.start();
    try {
      const killedAt = Date.now();
      const old = await stopNodeAgent(world, "node-1", "SIGKILL");
      const restarted = await startNodeAgent(world, "node-1");
      expect(restarted.pid).not.toBe(old.pid);
      // Several probe periods with the new process in charge.
      await new Promise(resolve => setTimeout(resolve, 8_000));
      const flaps = recorder.changesSince(killedAt);
      expect(flaps).toEqual([]);
      expect(await readyPods(world, ns, "app")).toEqual(["app-0", "app-1", "app-2"]);
      await recordMeasurement({
        name: "agent.restartFlaps",
        value: flaps.length,
        unit: "count",
        description:
          "endpoint readiness changes seen by a slice watcher across SIGKILL + restart of an agent",
      });
    } finally {
      await recorder.stop();
    }
  });
});

describe("an agent that stays dead", () => {
  it("has its endpoints fenced (not ready) within the Lease duration plus one hook period", async () => {
    const killedAt = Date.now();
    await stopNodeAgent(world, "node-2", "SIGKILL");
    const fenced = await eventually(
      "app-1 (node-2) is fenced",
      async () => {
        const rows = (await serviceEndpoints(world, ns, "app")).filter(r => r.pod === "app-1");
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.every(r => !r.ready && r.fenced)).toBe(true);
        return Date.now() - killedAt;
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
      description: `agent SIGKILLed -> its endpoints not ready in the slices (bound: Lease ${LEASE_SECONDS} s + hook period ${HOOK_PERIOD_SECONDS} s)`,
    });
    process.stdout.write(
      `fenced after ${(fenced / 1000).toFixed(1)} s (bound ${LEASE_SECONDS + HOOK_PERIOD_SECONDS} s; the Lease was renewed up to 2 s before the kill)\n`,
    );
  });

  it("gets its endpoints back, unfenced, when the agent returns", async () => {
    await startNodeAgent(world, "node-2");
    await eventually(
      "app-1 ready again and the fence lifted",
      async () => {
        const rows = (await serviceEndpoints(world, ns, "app")).filter(r => r.pod === "app-1");
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.every(r => r.ready && !r.fenced)).toBe(true);
      },
      60_000,
      250,
    );
    expect(await readyPods(world, ns, "app")).toEqual(["app-0", "app-1", "app-2"]);
  });
});
