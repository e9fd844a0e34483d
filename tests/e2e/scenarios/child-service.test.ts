// The child Service a ServiceWithHealthchecks owns: same name and namespace, no selector (so
// kube-controller-manager never publishes endpoints for it), the SWH's ports, type and session
// affinity, and a controller owner reference, so deleting the SWH deletes the Service (garbage
// collector) and the agents' EndpointSlices. A Service that existed before under the same name
// is someone else's: it is reported as a conflict and left exactly as it was.
import { jest } from "@jest/globals";
import { ANNOTATION_ALLOW_ADOPTION, SWH_API_VERSION, SWH_KIND } from "../../../api/contract.js";
import type { Artefacts } from "../../cluster/builds.js";
import { getOrUndefined } from "../../cluster/kube.js";
import { readyPods, serviceSlices } from "../../cluster/scenario/endpoints.js";
import {
  applyManifest,
  createNamespace,
  deleteManifestObject,
  deleteNamespace,
  type Manifest,
} from "../../cluster/scenario/objects.js";
import {
  releaseScenarioWorld,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { conditionOf, getSwh } from "../../cluster/scenario/swh.js";
import { startBackend, stopBackend } from "../../cluster/world/backends.js";
import { createPod, deletePod, type FakePod } from "../../cluster/world/pods.js";
import type { World } from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(300_000);

interface ServiceJson {
  metadata: {
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<Record<string, unknown>>;
    resourceVersion?: string;
  };
  spec: Record<string, unknown>;
}

let world: World;
let artefacts: Artefacts;
let ns: string;
let pod: FakePod;
const backendName = (): string => `web-${ns}`;

function swh(
  name: string,
  spec: Record<string, unknown>,
  extra: Partial<Manifest["metadata"]> = {},
): Manifest {
  return {
    apiVersion: SWH_API_VERSION,
    kind: SWH_KIND,
    metadata: { name, namespace: ns, ...extra },
    spec: {
      selector: { app: "shop" },
      healthcheck: {
        periodSeconds: 1,
        initialDelaySeconds: 0,
        probes: [{ mode: "TCP", tcp: { targetPort: 8080 } }],
      },
      ...spec,
    },
  };
}

const servicePath = (name: string): string => `/api/v1/namespaces/${ns}/services/${name}`;

beforeAll(async () => {
  ({ world, artefacts } = await scenarioWorld());
  ns = await createNamespace(world, "swh-child");
  pod = await createPod(world, {
    namespace: ns,
    name: "shop-0",
    labels: { app: "shop" },
    node: "node-1",
    containers: [{ name: "shop", ports: [{ name: "http", containerPort: 8080 }] }],
  });
  const backend = await startBackend(world, backendName(), artefacts.backendBundle);
  await backend.httpServer("shop", pod.addresses.ipv4, 8080);
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (ns) {
    await stopBackend(world, backendName());
    await deletePod(world, pod);
    await deleteNamespace(world, ns);
  }
  await releaseScenarioWorld();
});

describe("the child Service", () => {
  it("has the SWH's name, no selector, its ports, type and session affinity, and a controller owner reference", async () => {
    const applied = await applyManifest<{ metadata: { uid: string } }>(
      world,
      swh(
        "shop",
        {
          type: "ClusterIP",
          sessionAffinity: "ClientIP",
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
          ports: [
            { name: "http", port: 80, protocol: "TCP", targetPort: 8080 },
            { name: "alt", port: 8080, protocol: "TCP", targetPort: "http" },
          ],
        },
        { labels: { team: "shop" }, annotations: { "example.com/owner": "shop-team" } },
      ),
    );
    const svc = await eventually(
      "the child Service exists",
      async () => {
        const s = await getOrUndefined<ServiceJson>(world.rest, servicePath("shop"));
        expect(s).toBeDefined();
        return s!;
      },
      60_000,
      250,
    );
    expect(svc.spec.selector ?? {}).toEqual({});
    expect(svc.spec.type).toBe("ClusterIP");
    expect(svc.spec.sessionAffinity).toBe("ClientIP");
    expect(svc.spec.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 600 } });
    expect(svc.spec.clusterIP).toMatch(/^10\.96\./);
    expect(svc.spec.ports).toEqual([
      expect.objectContaining({ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }),
      expect.objectContaining({ name: "alt", port: 8080, protocol: "TCP", targetPort: "http" }),
    ]);
    expect(svc.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        apiVersion: SWH_API_VERSION,
        kind: SWH_KIND,
        name: "shop",
        uid: applied.metadata.uid,
        controller: true,
      }),
    ]);
    expect(svc.metadata.labels?.team).toBe("shop");
    expect(svc.metadata.annotations?.["example.com/owner"]).toBe("shop-team");
    // kube-controller-manager publishes nothing for a selector-less Service; the agent does.
    await eventually(
      "the agent publishes shop-0 for it",
      async () => {
        expect(await readyPods(world, ns, "shop")).toEqual(["shop-0"]);
        const slices = await serviceSlices(world, ns, "shop");
        expect(
          slices.every(
            s =>
              s.metadata?.labels?.["endpointslice.kubernetes.io/managed-by"] ===
              "servicewithhealthchecks",
          ),
        ).toBe(true);
        // Both ports of the SWH, the named one resolved through the pod's container port.
        expect((slices[0]?.ports ?? []).map(p => [p.name, p.port]).sort()).toEqual([
          ["alt", 8080],
          ["http", 8080],
        ]);
      },
      60_000,
      250,
    );
  });

  it("carries the type and traffic policy of a NodePort SWH", async () => {
    await applyManifest(
      world,
      swh("shop-np", {
        type: "NodePort",
        externalTrafficPolicy: "Local",
        ports: [{ port: 80, targetPort: 8080 }],
      }),
    );
    const svc = await eventually(
      "the NodePort child Service exists",
      async () => {
        const s = await getOrUndefined<ServiceJson>(world.rest, servicePath("shop-np"));
        expect(s?.spec.type).toBe("NodePort");
        return s!;
      },
      60_000,
      250,
    );
    expect(svc.spec.externalTrafficPolicy).toBe("Local");
    expect((svc.spec.ports as Array<{ nodePort?: number }>)[0]?.nodePort).toBeGreaterThan(0);
  });

  it("cascades: deleting the SWH deletes its Service and the agents' EndpointSlices", async () => {
    await deleteManifestObject(world, swh("shop-np", {}));
    await deleteManifestObject(world, swh("shop", {}));
    await eventually(
      "the child Services are gone",
      async () => {
        expect(await getOrUndefined(world.rest, servicePath("shop"))).toBeUndefined();
        expect(await getOrUndefined(world.rest, servicePath("shop-np"))).toBeUndefined();
      },
      60_000,
      250,
    );
    await eventually(
      "the slices are gone",
      async () => {
        expect(await serviceSlices(world, ns, "shop")).toEqual([]);
        expect(await serviceSlices(world, ns, "shop-np")).toEqual([]);
      },
      60_000,
      250,
    );
  });

  describe("a pre-existing foreign Service of the same name", () => {
    let before: ServiceJson;

    beforeAll(async () => {
      await applyManifest(
        world,
        {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "legacy", namespace: ns },
          spec: {
            selector: { app: "legacy" },
            ports: [{ port: 81, targetPort: 8081, protocol: "TCP" }],
          },
        },
        { fieldManager: "someone-else" },
      );
      before = (await getOrUndefined<ServiceJson>(world.rest, servicePath("legacy")))!;
      await applyManifest(world, swh("legacy", { ports: [{ port: 80, targetPort: 8080 }] }));
    });

    it("is left alone: same spec, no owner reference, not rewritten", async () => {
      // Give the hooks time to act (they run within a second of the SWH's creation).
      await new Promise(resolve => setTimeout(resolve, 5_000));
      const after = await getOrUndefined<ServiceJson>(world.rest, servicePath("legacy"));
      expect(after?.metadata.uid).toBe(before.metadata.uid);
      expect(after?.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      expect(after?.metadata.ownerReferences).toBeUndefined();
      expect(after?.spec.selector).toEqual({ app: "legacy" });
      expect(after?.metadata.annotations?.[ANNOTATION_ALLOW_ADOPTION]).toBeUndefined();
    });

    it("is reported on the SWH as ChildServiceConflict", async () => {
      await eventually(
        "ChildServiceReady=False, reason ChildServiceConflict",
        async () => {
          const cond = conditionOf(await getSwh(world, ns, "legacy"), "ChildServiceReady");
          expect(cond).toMatchObject({ status: "False", reason: "ChildServiceConflict" });
        },
        60_000,
        500,
      );
    });
  });
});
