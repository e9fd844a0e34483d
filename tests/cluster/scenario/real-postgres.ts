// The seed's PostgreSQL example on real nodes (a box started with `--nodes`): a StatefulSet `db`
// of three real pods of the backends image (labels app=postgres, one pod per node by required
// anti-affinity on the hostname, so the scheduler and the StatefulSet controller place them),
// each running one PostgreSQL 15 server of its own (backends/postgres-pod.ts) in an emptyDir —
// db-0 the primary, db-1 and db-2 hot standbys streaming from it — plus the seed's `cred-secret`,
// `postgres-read` and `postgres-write` applied verbatim in the scenario's namespace.
import { genericSecret, applyManifest, type Manifest } from "./objects.js";
import { readyPods } from "./endpoints.js";
import { realPodManifest, waitRealPod } from "./real-pods.js";
import { seedIn } from "./swh.js";
import { SEED_CREDENTIALS } from "./workloads.js";
import type { BackendClient } from "../backends/client.js";
import { getOrUndefined } from "../kube.js";
import type { World } from "../world/handle.js";
import { eventually } from "../../e2e/support/eventually.js";

/** The StatefulSet's pods, in order: db-0 starts as the primary. */
export const DB_PODS = ["db-0", "db-1", "db-2"] as const;
/** The pods' labels (the seed's selector). */
export const DB_LABELS = { app: "postgres" } as const;
/** PostgreSQL's port, the seed's targetPort. */
export const PG_PORT = 5432;
/** Where each pod's emptyDir for PostgreSQL's data and sockets is mounted. */
export const PG_DATA_DIR = "/var/lib/postgresql";

/** One database pod. */
export interface DbPod {
  readonly name: string;
  readonly ip: string;
  readonly node: string;
  readonly backend: BackendClient;
}

/** The running workload. */
export interface RealPostgres {
  readonly namespace: string;
  readonly pods: ReadonlyMap<string, DbPod>;
}

/**
 * The StatefulSet: the pod template of real-pods.ts (restricted securityContext, read-only root,
 * the backend daemon on port 9000) without a node, with an emptyDir for the data and one for /tmp.
 */
export function dbStatefulSet(namespace: string, replicas: number = DB_PODS.length): Manifest {
  const pod = realPodManifest({
    name: "db",
    namespace,
    node: "",
    labels: DB_LABELS,
    ports: [{ name: "postgres", containerPort: PG_PORT }],
  });
  const { containers, ...withNode } = pod.spec as {
    containers: Record<string, unknown>[];
    [k: string]: unknown;
  };
  // No nodeName: the scheduler places the pods, one per node by the anti-affinity below.
  const podSpec = Object.fromEntries(Object.entries(withNode).filter(([k]) => k !== "nodeName"));
  const volumeMounts = [
    { name: "data", mountPath: PG_DATA_DIR },
    { name: "tmp", mountPath: "/tmp" },
  ];
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "db", namespace },
    spec: {
      serviceName: "postgres",
      replicas,
      podManagementPolicy: "Parallel",
      selector: { matchLabels: DB_LABELS },
      template: {
        metadata: { labels: DB_LABELS },
        spec: {
          ...podSpec,
          containers: containers.map(c => ({ ...c, volumeMounts })),
          volumes: [
            { name: "data", emptyDir: {} },
            { name: "tmp", emptyDir: {} },
          ],
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                {
                  labelSelector: { matchLabels: DB_LABELS },
                  topologyKey: "kubernetes.io/hostname",
                },
              ],
            },
          },
        },
      },
    },
  };
}

/** The StatefulSet's governing Service (headless). */
function headlessService(namespace: string): Manifest {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "postgres", namespace },
    spec: {
      clusterIP: "None",
      selector: DB_LABELS,
      ports: [{ name: "postgres", port: PG_PORT, targetPort: PG_PORT }],
    },
  };
}

/** Waits for a database pod's daemon; returns it with its node. */
async function waitDbPod(world: World, namespace: string, name: string): Promise<DbPod> {
  const { ip, backend } = await waitRealPod(world, namespace, name, 180_000);
  const pod = await getOrUndefined<{ spec?: { nodeName?: string } }>(
    world.rest,
    `/api/v1/namespaces/${namespace}/pods/${name}`,
  );
  return { name, ip, node: pod?.spec?.nodeName ?? "?", backend };
}

/**
 * Starts PostgreSQL in the pods: db-0 the primary, the others its streaming replicas, one at a
 * time (two base backups at once can lose a WAL segment the other still streams: the primary
 * keeps none beyond its checkpoints).
 */
async function startServers(pods: ReadonlyMap<string, DbPod>): Promise<void> {
  const [primary, ...replicas] = [...pods.values()];
  const common = { port: PG_PORT, ...SEED_CREDENTIALS, dataDir: PG_DATA_DIR };
  await primary!.backend.startPodPostgres({ role: "primary", ...common });
  for (const replica of replicas) {
    await replica.backend.startPodPostgres({
      role: "replica",
      primaryHost: primary!.ip,
      ...common,
    });
  }
}

/** Options of startRealPostgres. */
export interface RealPostgresOptions {
  /** Pods in the StatefulSet (default 3: a primary and two replicas). */
  readonly replicas?: number;
  /** Apply the seed's postgres-read and postgres-write and wait for them (default true). */
  readonly seedServices?: boolean;
}

/**
 * Creates the workload and the seed's objects in `namespace` and waits until the probes agree:
 * `postgres-write` has db-0 only, `postgres-read` (SELECT 1) every pod.
 */
export async function startRealPostgres(
  world: World,
  namespace: string,
  opts: RealPostgresOptions = {},
): Promise<RealPostgres> {
  const names = DB_PODS.slice(0, opts.replicas ?? DB_PODS.length);
  await applyManifest(world, genericSecret(namespace, "cred-secret", SEED_CREDENTIALS));
  await applyManifest(world, headlessService(namespace));
  await applyManifest(world, dbStatefulSet(namespace, names.length));
  const pods = new Map<string, DbPod>();
  for (const name of names) pods.set(name, await waitDbPod(world, namespace, name));
  await startServers(pods);
  if (opts.seedServices ?? true) {
    await applyManifest(world, seedIn("postgres-read", namespace));
    await applyManifest(world, seedIn("postgres-write", namespace));
    await waitForReady(world, namespace, { write: ["db-0"], read: names }, 120_000);
  }
  return { namespace, pods };
}

/** Waits until the seed's two Services have exactly these ready pods. */
export async function waitForReady(
  world: World,
  namespace: string,
  want: { readonly write: readonly string[]; readonly read: readonly string[] },
  timeoutMs: number,
): Promise<void> {
  await eventually(
    `postgres-write ready [${want.write.join(", ")}], postgres-read [${want.read.join(", ")}]`,
    async () => {
      const write = await readyPods(world, namespace, "postgres-write");
      const read = await readyPods(world, namespace, "postgres-read");
      if (write.join() !== want.write.join() || read.join() !== want.read.join()) {
        throw new Error(`write [${write.join(", ")}], read [${read.join(", ")}]`);
      }
    },
    timeoutMs,
    250,
  );
}

/** The running workload in `namespace` (a later switchover, say the demo's). */
export async function openRealPostgres(world: World, namespace: string): Promise<RealPostgres> {
  const pods = new Map<string, DbPod>();
  for (const name of DB_PODS) pods.set(name, await waitDbPod(world, namespace, name));
  return { namespace, pods };
}
