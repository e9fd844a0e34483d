// The child Service a ServiceWithHealthchecks owns: same name and namespace, no selector (so
// kube-controller-manager never publishes endpoints for it), the SWH's ports, type and session
// affinity, and a controller owner reference, so deleting the SWH deletes the Service (garbage
// collector) and the agents' EndpointSlices. A Service that existed before under the same name
// is someone else's: it is reported as a conflict and left exactly as it was - unless it is
// annotated for adoption: then it is taken over in place, and what kube-controller-manager
// published for it while it had a selector (its EndpointSlices; its Endpoints object and that
// object's mirror, when the box runs the endpoints controller) is marked and keeps serving until
// the agent serves the same endpoint, then is deleted, so only the agents' probed slices feed it,
// and the Service never loses its ready endpoint on the way.
import { jest } from "@jest/globals";
import {
  ANNOTATION_ALLOW_ADOPTION,
  LABEL_MANAGED_BY,
  LABEL_REPLACED_BY,
  MANAGED_BY_VALUE,
  SWH_API_VERSION,
  SWH_KIND,
} from "../../../api/contract.js";
import type { RawEndpointSlice } from "swh-kube-client";
import { getOrUndefined } from "../../cluster/kube.js";
import { readyPods, serviceSlices } from "../../cluster/scenario/endpoints.js";
import { EndpointRecorder } from "../../cluster/scenario/recorder.js";
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
  scenarioStateDir,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { conditionOf, getSwh } from "../../cluster/scenario/swh.js";
import { startRealPods } from "../../cluster/scenario/real-pods.js";
import type { BackendClient } from "../../cluster/backends/client.js";
import type { World } from "../../cluster/world/world.js";
import { status as boxStatus } from "../../testenv/index.js";
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
let ns: string;
/** The daemon of pod shop-0 (a real pod on node-1, HTTP on 8080 from the start). */
let shop: BackendClient;

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
const endpointsPath = (name: string): string => `/api/v1/namespaces/${ns}/endpoints/${name}`;

/** Who publishes a slice (`endpointslice.kubernetes.io/managed-by`). */
const managerOf = (slice: RawEndpointSlice): string =>
  slice.metadata?.labels?.[LABEL_MANAGED_BY] ?? "<none>";

/** Pods a slice lists. */
const podsOf = (slice: RawEndpointSlice): string[] =>
  (slice.endpoints ?? []).map(e => e.targetRef?.name ?? "").sort();

beforeAll(async () => {
  ({ world } = await scenarioWorld());
  ns = await createNamespace(world, "swh-child");
  const pods = await startRealPods(world, [
    {
      name: "shop-0",
      namespace: ns,
      node: "node-1",
      labels: { app: "shop" },
      serve: ["http:shop:8080"],
      ports: [{ name: "http", containerPort: 8080 }],
    },
  ]);
  shop = pods.get("shop-0")!.backend;
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (ns) await deleteNamespace(world, ns);
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

  describe("a plain Service annotated for adoption", () => {
    const name = "shop-plain";
    /** The SWH probes a port nothing listens on until the test opens it. */
    const probePort = 8081;
    let before: ServiceJson;
    let endpointsController = false;
    /** What kube-proxy sees of the Service, from just before the SWH is applied. */
    let recorder: EndpointRecorder | undefined;
    let adoptedAt = 0;

    /** Who publishes the Service's slices, and whether the Endpoints object exists. */
    async function publishers(): Promise<{ managers: string[]; endpoints: boolean }> {
      const slices = await serviceSlices(world, ns, name);
      return {
        managers: [...new Set(slices.map(managerOf))].sort(),
        endpoints: (await getOrUndefined(world.rest, endpointsPath(name))) !== undefined,
      };
    }

    beforeAll(async () => {
      const box = await boxStatus(scenarioStateDir());
      endpointsController = box.options?.controllers.includes("endpoint") ?? false;
      await applyManifest(
        world,
        {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name, namespace: ns, annotations: { [ANNOTATION_ALLOW_ADOPTION]: "true" } },
          spec: {
            selector: { app: "shop" },
            ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }],
          },
        },
        { fieldManager: "someone-else" },
      );
      // kube-controller-manager publishes shop-0 for it, as for any Service with a selector.
      await eventually(
        "kube-controller-manager's EndpointSlice lists shop-0",
        async () => {
          const slices = await serviceSlices(world, ns, name);
          const controllers = slices.filter(
            s => managerOf(s) === "endpointslice-controller.k8s.io",
          );
          expect(controllers.flatMap(podsOf)).toEqual(["shop-0"]);
          if (endpointsController) {
            expect(await getOrUndefined(world.rest, endpointsPath(name))).toBeDefined();
          }
        },
        60_000,
        250,
      );
      before = (await getOrUndefined<ServiceJson>(world.rest, servicePath(name)))!;
      recorder = new EndpointRecorder(world, ns, name);
      await recorder.start();
      adoptedAt = Date.now();
      const healthcheck = {
        periodSeconds: 1,
        initialDelaySeconds: 0,
        probes: [{ mode: "TCP", tcp: { targetPort: probePort } }],
      };
      await applyManifest(
        world,
        swh(name, { ports: [{ port: 80, targetPort: 8080 }], healthcheck }),
      );
    });

    afterAll(async () => {
      await recorder?.stop();
    });

    it("is taken over in place: same Service and cluster IP, no selector, our controller", async () => {
      const swhUid = (await getSwh(world, ns, name))?.metadata.uid;
      expect(swhUid).toBeDefined();
      const after = await eventually(
        "the Service is adopted",
        async () => {
          const s = await getOrUndefined<ServiceJson>(world.rest, servicePath(name));
          expect(s?.spec.selector ?? {}).toEqual({});
          return s!;
        },
        60_000,
        250,
      );
      expect(after.metadata.uid).toBe(before.metadata.uid);
      expect(after.spec.clusterIP).toBe(before.spec.clusterIP);
      expect(after.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: SWH_KIND, name, uid: swhUid, controller: true }),
      ]);
    });

    it("keeps kube-controller-manager's endpoints, marked, while the agent does not serve shop-0", async () => {
      const swhUid = (await getSwh(world, ns, name))?.metadata.uid;
      await eventually(
        "the controller's slice is marked for the SWH and the agent reports shop-0 not ready",
        async () => {
          const slices = await serviceSlices(world, ns, name);
          const controllers = slices.filter(s => managerOf(s) !== MANAGED_BY_VALUE);
          expect(controllers.length).toBeGreaterThan(0);
          for (const slice of controllers) {
            expect(slice.metadata?.labels?.[LABEL_REPLACED_BY]).toBe(swhUid);
          }
          const agents = slices.filter(s => managerOf(s) === MANAGED_BY_VALUE);
          expect(agents.flatMap(podsOf)).toEqual(["shop-0"]);
        },
        60_000,
        250,
      );
      // Longer than a GC period (5 s): the leftovers stay, as they are all that serves shop-0.
      await new Promise(resolve => setTimeout(resolve, 7_000));
      const { managers, endpoints } = await publishers();
      expect(managers).toContain("endpointslice-controller.k8s.io");
      expect(endpoints).toBe(endpointsController);
      expect(recorder?.current().get("shop-0")).toBe(true);
    });

    it("hands over once the agent serves: only the agent's slices remain, with no gap", async () => {
      await shop.tcpServer("shop-probe", "0.0.0.0", probePort);
      await eventually(
        "only the agent's slices, shop-0 ready, no Endpoints object",
        async () => {
          expect(await publishers()).toEqual({ managers: [MANAGED_BY_VALUE], endpoints: false });
          expect(await readyPods(world, ns, name)).toEqual(["shop-0"]);
        },
        60_000,
        250,
      );
      // shop-0 never stopped being a ready endpoint of the Service.
      expect(recorder?.changesSince(adoptedAt).filter(c => c.pod === "shop-0")).toEqual([]);
      expect(recorder?.current().get("shop-0")).toBe(true);
      // Nothing comes back: neither controller republishes for a Service without a selector.
      await new Promise(resolve => setTimeout(resolve, 3_000));
      expect(await publishers()).toEqual({ managers: [MANAGED_BY_VALUE], endpoints: false });
      if (!endpointsController) {
        process.stderr.write(
          "child-service: the box runs no endpoints controller, so no Endpoints object or " +
            "mirror was left to clean up; only the EndpointSlice half was exercised\n",
        );
      }
    });

    it("is reported ChildServiceReady=True", async () => {
      await eventually(
        "ChildServiceReady=True",
        async () => {
          const cond = conditionOf(await getSwh(world, ns, name), "ChildServiceReady");
          expect(cond).toMatchObject({ status: "True" });
        },
        60_000,
        500,
      );
    });
  });
});
