// The workload both API server outage scenarios drive through the outage, and the truth they
// expect after it: `apiserver-outage` freezes kube-apiserver, `apiserver-restart` kills and
// restarts it, and both must prove the same bar on the same workload. Two SWHs select one real pod
// per node (`app-<i>` on node-<i+1>, the test backends image, servers started at boot): `web`
// (HTTP on 8080) and `api` (HTTP on 9090). `api` on node-3 starts broken; during the outage `web`
// on node-2 breaks and `api` on node-3 recovers, through each pod's own backend daemon (its pod
// address: nothing needs the API server). The observations are returned as plain data for the
// scenarios to assert on.
import { SWH_API_VERSION, SWH_KIND } from "../../../api/contract.js";
import type { BackendClient } from "../backends/client.js";
import type { World } from "../world/handle.js";
import { readyPods } from "./endpoints.js";
import { applyManifest, createNamespace, deleteNamespace, type Manifest } from "./objects.js";
import { startRealPods } from "./real-pods.js";
import type { ReadinessChange, EndpointRecorder } from "./recorder.js";
import { endpointStatusOf, getSwh } from "./swh.js";

/** The real nodes; pod `app-<i>` runs on `NODES[i]`. */
export const NODES = ["node-1", "node-2", "node-3"] as const;

/** Ready pods before the outage. */
export const READY_BEFORE = { web: ["app-0", "app-1", "app-2"], api: ["app-0", "app-1"] } as const;
/** The true state after the outage: `web` lost app-1 (node-2), `api` regained app-2 (node-3). */
export const EXPECTED_READY = {
  web: ["app-0", "app-2"],
  api: ["app-0", "app-1", "app-2"],
} as const;
/** The SWHs of the workload. */
export type SwhName = keyof typeof EXPECTED_READY;
export const SWHS = Object.keys(EXPECTED_READY) as SwhName[];
/** Endpoints healthy before, during and after the outage: none may flip. */
export const ALWAYS_HEALTHY: Readonly<Record<SwhName, readonly string[]>> = {
  web: ["app-0", "app-2"],
  api: ["app-0", "app-1"],
};
/** The endpoints the outage changes, and their state after it. */
export const CHANGED = { web: ["app-1", false], api: ["app-2", true] } as const;
/** What the SWH statuses must say after the outage (see StatusView). */
export const EXPECTED_STATUS: StatusView = {
  web: { readySummary: "2/3", changedReady: false },
  api: { readySummary: "3/3", changedReady: true },
};
/** The fencing hook's counter on addon-operator's /metrics/hooks (hooks/endpointslice-gc/hook.ts). */
export const FENCED_METRIC = "d8_swh_endpointslices_fenced_total";

/** One app pod: its address and its backend daemon. */
export interface AppPod {
  readonly name: string;
  readonly node: string;
  readonly ip: string;
  readonly backend: BackendClient;
}

/** The workload in its namespace. */
export interface OutageWorkload {
  readonly world: World;
  readonly namespace: string;
  /** By pod name (`app-<i>`). */
  readonly pods: Map<string, AppPod>;
}

/** Per SWH: its status's readySummary and whether it calls the changed endpoint ready. */
export type StatusView = Readonly<
  Record<SwhName, { readonly readySummary: string | undefined; readonly changedReady: unknown }>
>;

/** An SWH over the pods labelled app=app, probing HTTP /healthz on `port` every second. */
export function swhManifest(namespace: string, name: string, port: number): Manifest {
  return {
    apiVersion: SWH_API_VERSION,
    kind: SWH_KIND,
    metadata: { name, namespace },
    spec: {
      selector: { app: "app" },
      ports: [{ port: 80, targetPort: port }],
      healthcheck: {
        periodSeconds: 1,
        initialDelaySeconds: 0,
        probes: [{ mode: "HTTP", http: { targetPort: port, path: "/healthz" } }],
      },
    },
  };
}

/** Creates pod `app-<index>` on `node`, serving healthy `web` (8080) and `api` (9090). */
export async function addAppPod(w: OutageWorkload, index: number, node: string): Promise<AppPod> {
  const name = `app-${index}`;
  const started = await startRealPods(w.world, [
    {
      name,
      namespace: w.namespace,
      node,
      labels: { app: "app" },
      serve: ["http:web:8080:/healthz", "http:api:9090:/healthz"],
    },
  ]);
  const pod = started.get(name);
  if (!pod) throw new Error(`pod ${name} did not start`);
  const app = { name, node, ...pod };
  w.pods.set(name, app);
  return app;
}

/** The backend daemon of pod `name`. */
function backendOf(w: OutageWorkload, name: string): BackendClient {
  const pod = w.pods.get(name);
  if (!pod) throw new Error(`no pod ${name} in the workload`);
  return pod.backend;
}

/**
 * Creates the namespace (`<prefix>-<random>`), one pod per node and both SWHs, with `api` on
 * node-3 broken. The caller waits for READY_BEFORE.
 */
export async function setUpWorkload(world: World, prefix: string): Promise<OutageWorkload> {
  const namespace = await createNamespace(world, prefix);
  const w: OutageWorkload = { world, namespace, pods: new Map() };
  for (const [i, node] of NODES.entries()) await addAppPod(w, i, node);
  await backendOf(w, "app-2").setHealth("api", 503);
  await applyManifest(world, swhManifest(namespace, "web", 8080));
  await applyManifest(world, swhManifest(namespace, "api", 9090));
  return w;
}

/** The change made during the outage: `web` on node-2 breaks, `api` on node-3 recovers. */
export async function changeBackends(w: OutageWorkload): Promise<void> {
  await backendOf(w, "app-1").setHealth("web", 500);
  await backendOf(w, "app-2").setHealth("api", 200);
}

/** Ready pods of each SWH as its EndpointSlices say now. */
export async function readySlices(w: OutageWorkload): Promise<Record<SwhName, string[]>> {
  return {
    web: await readyPods(w.world, w.namespace, "web"),
    api: await readyPods(w.world, w.namespace, "api"),
  };
}

/** What the SWH statuses say now about the outage's changes (see StatusView). */
export async function statusView(w: OutageWorkload): Promise<StatusView> {
  const web = await getSwh(w.world, w.namespace, "web");
  const api = await getSwh(w.world, w.namespace, "api");
  return {
    web: {
      readySummary: web?.status?.readySummary,
      changedReady: endpointStatusOf(web, CHANGED.web[0])?.ready,
    },
    api: {
      readySummary: api?.status?.readySummary,
      changedReady: endpointStatusOf(api, CHANGED.api[0])?.ready,
    },
  };
}

/** Removes the namespace and with it the pods; never throws. */
export async function tearDownWorkload(w: OutageWorkload | undefined): Promise<void> {
  if (!w) return;
  await deleteNamespace(w.world, w.namespace).catch(() => undefined);
}

/** Changes seen since `since` for endpoints that were healthy throughout. */
export function healthyFlaps(
  recorders: Readonly<Record<SwhName, EndpointRecorder>>,
  since: number,
): Array<ReadinessChange & { swh: SwhName }> {
  return SWHS.flatMap(swh =>
    recorders[swh]
      .changesSince(since)
      .filter(c => ALWAYS_HEALTHY[swh].includes(c.pod))
      .map(c => ({ ...c, swh })),
  );
}
