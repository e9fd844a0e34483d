// gRPC health probes end to end (probes[].grpc, issue #12 item 3) on real nodes: three real pods
// of the test backends image (one per node, so each node's agent probes its own), each running a
// real gRPC server (@grpc/grpc-js, tests/cluster/backends/grpc-health.ts) with the standard
// health service on a named port. An SWH probes them with `mode: GRPC`, asking about one service
// by name. One pod's server then answers NOT_SERVING for that service: its endpoint leaves the
// child Service's EndpointSlices (ready false) with `gRPC health NOT_SERVING` in the slice report
// and the SWH status, while the other two pods never change; set SERVING again, it comes back.
// The times from the flip to the published change are recorded (build/e2e-report.json).
import { jest } from "@jest/globals";
import type { GRPCProbe } from "../../../api/v1alpha1.js";
import { SWH_API_VERSION, SWH_KIND } from "../../../api/contract.js";
import type { BackendClient } from "../../cluster/backends/client.js";
import { readyPods, serviceEndpoints } from "../../cluster/scenario/endpoints.js";
import {
  applyManifest,
  createNamespace,
  deleteNamespace,
  type Manifest,
} from "../../cluster/scenario/objects.js";
import {
  releaseScenarioWorld,
  SCENARIO_NODES,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { startRealPods } from "../../cluster/scenario/real-pods.js";
import { EndpointRecorder } from "../../cluster/scenario/recorder.js";
import { recordMeasurement } from "../../cluster/scenario/report.js";
import { endpointStatusOf, getSwh } from "../../cluster/scenario/swh.js";
import type { World } from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(240_000);

const SWH = "grpc-backend";
const GRPC_PORT = 50051;
/** The service name the probe asks about (the backends' servers know "" from the start). */
const SERVICE = "shop.v1.Orders";
const PERIOD_SECONDS = 2;
const FAILURE_THRESHOLD = 2;
const PODS = SCENARIO_NODES.map((node, i) => ({ name: `grpc-${i}`, node }));
/** The pod whose server flips. */
const FLIPPED = PODS[1]!.name;

const PROBE: GRPCProbe = { targetPort: "grpc", service: SERVICE };

function grpcSwh(namespace: string): Manifest {
  return {
    apiVersion: SWH_API_VERSION,
    kind: SWH_KIND,
    metadata: { name: SWH, namespace },
    spec: {
      selector: { app: SWH },
      ports: [{ name: "grpc", port: GRPC_PORT, targetPort: "grpc" }],
      healthcheck: {
        initialDelaySeconds: 0,
        periodSeconds: PERIOD_SECONDS,
        probes: [{ mode: "GRPC", failureThreshold: FAILURE_THRESHOLD, grpc: PROBE }],
      },
    },
  };
}

let world: World;
let ns: string;
const backends = new Map<string, BackendClient>();
const allPods = PODS.map(p => p.name).sort();

beforeAll(async () => {
  ({ world } = await scenarioWorld());
  ns = await createNamespace(world, "swh-grpc");
  const started = await startRealPods(
    world,
    PODS.map(p => ({
      name: p.name,
      namespace: ns,
      node: p.node,
      labels: { app: SWH },
      serve: [`grpc:grpc:${GRPC_PORT}`],
      ports: [{ name: "grpc", containerPort: GRPC_PORT }],
    })),
  );
  for (const [name, pod] of started) backends.set(name, pod.backend);
  // The servers know only "" at boot: the named service is declared SERVING on each first.
  for (const backend of backends.values()) await backend.setGrpcHealth("grpc", "SERVING", SERVICE);
  await applyManifest(world, grpcSwh(ns));
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (ns) await deleteNamespace(world, ns);
  await releaseScenarioWorld();
});

/** The flipped pod's endpoint reasons in the slice report and the SWH status, joined. */
async function flippedReasons(): Promise<string> {
  const rows = await serviceEndpoints(world, ns, SWH);
  const row = rows.find(r => r.pod === FLIPPED);
  const ep = endpointStatusOf(await getSwh(world, ns, SWH), FLIPPED);
  return [...(row?.failures ?? []), ep?.message ?? "", ...(ep?.failedProbes ?? [])].join(" | ");
}

describe("a gRPC health probe over three real gRPC servers", () => {
  it("keeps the grpc section as applied and publishes every pod ready", async () => {
    const swh = await getSwh(world, ns, SWH);
    expect(swh?.spec.healthcheck?.probes?.[0]?.grpc).toMatchObject({
      ...PROBE,
      scheme: "HTTP",
      insecureSkipTLSVerify: false,
    });
    await eventually(
      "every gRPC pod is ready",
      async () => expect(await readyPods(world, ns, SWH)).toEqual(allPods),
      90_000,
      250,
    );
  });

  it("moves one endpoint out on NOT_SERVING and back on SERVING, the others untouched", async () => {
    const recorder = new EndpointRecorder(world, ns, SWH);
    await recorder.start();
    const flipped = backends.get(FLIPPED)!;
    const others = allPods.filter(p => p !== FLIPPED);
    const outAt = Date.now();
    try {
      await flipped.setGrpcHealth("grpc", "NOT_SERVING", SERVICE);
      await eventually(
        `${FLIPPED} leaves the Service`,
        async () => expect(await readyPods(world, ns, SWH)).toEqual(others),
        60_000,
        100,
      );
      await eventually(
        "the slice report and the status say NOT_SERVING",
        async () => {
          expect(endpointStatusOf(await getSwh(world, ns, SWH), FLIPPED)?.ready).toBe(false);
          expect(await flippedReasons()).toMatch(/GRPC:[\d.]+:50051: gRPC health NOT_SERVING/);
        },
        30_000,
        250,
      );
    } finally {
      await flipped.setGrpcHealth("grpc", "SERVING", SERVICE);
    }
    const backAt = Date.now();
    await eventually(
      `${FLIPPED} is back in the Service`,
      async () => expect(await readyPods(world, ns, SWH)).toEqual(allPods),
      60_000,
      100,
    );
    await recorder.stop();
    const changes = recorder.changesSince(outAt);
    expect(changes.filter(c => c.pod !== FLIPPED)).toEqual([]);
    expect(changes.map(c => c.ready)).toEqual([false, true]);
    const removedMs = recorder.firstChange(FLIPPED, false, outAt)! - outAt;
    const restoredMs = recorder.firstChange(FLIPPED, true, backAt)! - backAt;
    const settings = `periodSeconds ${PERIOD_SECONDS}, failureThreshold ${FAILURE_THRESHOLD}`;
    await recordMeasurement({
      name: "grpcHealth.notServingOutMs",
      value: removedMs,
      unit: "ms",
      description: `gRPC health NOT_SERVING -> the endpoint is not ready in the EndpointSlices (${settings})`,
    });
    await recordMeasurement({
      name: "grpcHealth.servingBackMs",
      value: restoredMs,
      unit: "ms",
      description: `gRPC health SERVING again -> the endpoint is ready in the EndpointSlices (${settings}, successThreshold 1)`,
    });
  });
});
