// A headless ServiceWithHealthchecks and client-side balancing (the third seed's case: clients
// take the list of endpoints and balance themselves): the docs' `grpc-backend` example over three
// real pods, one per node, and a client pod resolving the Service through the cluster DNS
// (CoreDNS, whose kubernetes plugin answers from the agents' EndpointSlices). The client's A and
// SRV answers list exactly the pods whose probe passes: a pod whose health port fails drops out of
// DNS while its gRPC port still listens, and comes back when it recovers.
import { jest } from "@jest/globals";
import { SWH_API_VERSION, SWH_KIND } from "../../../api/contract.js";
import type { BackendClient } from "../../cluster/backends/client.js";
import { readyPods } from "../../cluster/scenario/endpoints.js";
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
import { recordMeasurement } from "../../cluster/scenario/report.js";
import type { World } from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(300_000);

const BACKENDS = SCENARIO_NODES.map((_, i) => `grpc-backend-${i + 1}`);

let world: World;
let ns: string;
let client: BackendClient;
const ips = new Map<string, string>();
const daemons = new Map<string, BackendClient>();

/** The docs' example (docs/EXAMPLES.md, "client-side balancing"), probing every second. */
const grpcBackend = (namespace: string): Manifest => ({
  apiVersion: SWH_API_VERSION,
  kind: SWH_KIND,
  metadata: { name: "grpc-backend", namespace },
  spec: {
    clusterIP: "None",
    ports: [{ name: "grpc", port: 50051, protocol: "TCP", targetPort: 50051 }],
    selector: { app: "grpc-backend" },
    healthcheck: {
      periodSeconds: 1,
      initialDelaySeconds: 0,
      probes: [{ mode: "HTTP", http: { targetPort: 8081, path: "/healthz" } }],
    },
  },
});

beforeAll(async () => {
  ({ world } = await scenarioWorld());
  ns = await createNamespace(world, "swh-dns");
  const pods = await startRealPods(world, [
    ...BACKENDS.map((name, i) => ({
      name,
      namespace: ns,
      node: SCENARIO_NODES[i]!,
      labels: { app: "grpc-backend" },
      // The application's port and a separate health port, as in the docs' example.
      serve: ["tcp:grpc:50051", "http:health:8081:/healthz"],
      ports: [
        { name: "grpc", containerPort: 50051 },
        { name: "health", containerPort: 8081 },
      ],
    })),
    { name: "client", namespace: ns, node: "node-1" },
  ]);
  for (const name of BACKENDS) {
    ips.set(name, pods.get(name)!.ip);
    daemons.set(name, pods.get(name)!.backend);
  }
  client = pods.get("client")!.backend;
  await applyManifest(world, grpcBackend(ns));
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (ns) await deleteNamespace(world, ns);
  await releaseScenarioWorld();
});

/** The addresses of `pods`, sorted as the client's answers are. */
const addressesOf = (pods: readonly string[]): string[] => pods.map(p => ips.get(p)!).sort();

/** What the client pod resolves: A for the short name (search domains), SRV for the port. */
async function clientView(): Promise<{ a: readonly string[]; srvPorts: readonly string[] }> {
  const a = await client.resolve({ name: "grpc-backend", type: "A" });
  const srv = await client.resolve({
    name: `_grpc._tcp.grpc-backend.${ns}.svc.cluster.local`,
    type: "SRV",
  });
  return { a: a.answers, srvPorts: srv.answers.map(s => s.split(":")[1] ?? "") };
}

async function expectResolved(pods: readonly string[], timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  await eventually(
    `the client resolves grpc-backend to ${pods.join(", ")}`,
    async () => {
      const view = await clientView();
      expect(view.a).toEqual(addressesOf(pods));
      expect(view.srvPorts).toEqual(pods.map(() => "50051"));
    },
    timeoutMs,
    200,
  );
  return Date.now() - started;
}

describe("a headless ServiceWithHealthchecks through the cluster DNS", () => {
  it("resolves to every pod whose probe passes", async () => {
    await eventually(
      "grpc-backend has three ready endpoints",
      async () => {
        expect(await readyPods(world, ns, "grpc-backend")).toEqual(BACKENDS);
      },
      90_000,
      250,
    );
    await expectResolved(BACKENDS);
  });

  it("drops a pod whose health port fails, though its gRPC port still listens", async () => {
    const failed = "grpc-backend-2";
    const failedAt = Date.now();
    await daemons.get(failed)!.setHealth("health", 503);
    await expectResolved(BACKENDS.filter(p => p !== failed));
    await recordMeasurement({
      name: "headless.dnsDropMs",
      value: Date.now() - failedAt,
      unit: "ms",
      description:
        "headless SWH, periodSeconds 1, failureThreshold 3: health port answers 503 -> the client's DNS answers (A and SRV) no longer list the pod",
    });
    // Only the health check failed: the application's port still answers.
    const grpc = (await daemons.get(failed)!.status()).servers.find(s => s.name === "grpc");
    expect(grpc?.listening).toBe(true);
  });

  it("lists the pod again once it recovers", async () => {
    await daemons.get("grpc-backend-2")!.setHealth("health", 200);
    await expectResolved(BACKENDS);
  });
});
