// The seed's two workloads, as pods with real backends: a PostgreSQL StatefulSet (pods db-0..2,
// labels app=postgres, one per fake node; db-0 the primary, db-1 and db-2 streaming replicas,
// the probe user's password the one the seed's `cred-secret` carries) with the seed's plain
// `postgres` Service, and a virtual machine's launcher pod (label vm=my-vm) running a web server
// on 8080 with /healthz and an SMTP-like server on 2525. Backends run in a daemon of their own
// inside the pod network namespace.
import type { BackendClient } from "../backends/client.js";
import type { World } from "../world/handle.js";
import { startBackend, stopBackend } from "../world/backends.js";
import { createPod, deletePod, type FakePod } from "../world/pods.js";
import { applyManifest } from "./objects.js";

/** The credentials of the seed's `cred-secret`. */
export const SEED_CREDENTIALS = { user: "postgres", password: "example" } as const;

/** A running PostgreSQL workload. */
export interface PostgresWorkload {
  readonly namespace: string;
  readonly pods: readonly FakePod[];
  readonly backend: BackendClient;
  readonly backendName: string;
  /** The StatefulSet's uid (the pods' owner). */
  readonly statefulSetUid: string;
}

/** A running VM workload. */
export interface VmWorkload {
  readonly namespace: string;
  readonly pod: FakePod;
  readonly backend: BackendClient;
  readonly backendName: string;
}

/** Pod name → fake node for the database pods: one per node, like anti-affinity would do. */
const DB_NODES = ["node-1", "node-2", "node-3"] as const;

/** Starts the PostgreSQL workload in `namespace` (db-0 primary). */
export async function startPostgresWorkload(
  world: World,
  namespace: string,
  opts: { readonly backendBundle: string; readonly replicas?: number },
): Promise<PostgresWorkload> {
  const replicas = opts.replicas ?? 3;
  await applyManifest(world, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "postgres", namespace },
    spec: {
      selector: { app: "postgres" },
      ports: [{ protocol: "TCP", port: 5432, targetPort: 5432 }],
    },
  });
  const sts = await applyManifest<{ metadata: { uid: string } }>(world, {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "db", namespace },
    spec: {
      serviceName: "postgres",
      replicas,
      selector: { matchLabels: { app: "postgres" } },
      template: {
        metadata: { labels: { app: "postgres" } },
        spec: {
          containers: [
            {
              name: "postgres",
              image: "postgres:13",
              ports: [{ containerPort: 5432 }],
              env: [
                { name: "POSTGRES_USER", value: SEED_CREDENTIALS.user },
                { name: "POSTGRES_PASSWORD", value: SEED_CREDENTIALS.password },
              ],
            },
          ],
        },
      },
    },
  });
  const owner = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    name: "db",
    uid: sts.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  const pods: FakePod[] = [];
  for (let i = 0; i < replicas; i++) {
    pods.push(
      await createPod(world, {
        namespace,
        name: `db-${i}`,
        labels: {
          app: "postgres",
          "statefulset.kubernetes.io/pod-name": `db-${i}`,
          "apps.kubernetes.io/pod-index": String(i),
        },
        node: DB_NODES[i % DB_NODES.length]!,
        containers: [{ name: "postgres", ports: [{ containerPort: 5432 }] }],
        ownerReferences: [owner],
      }),
    );
  }
  const backendName = `pg-${namespace}`;
  const backend = await startBackend(world, backendName, opts.backendBundle);
  await backend.startPostgres({
    pods: pods.map(p => ({ pod: p.name, address: p.addresses.ipv4 })),
    port: 5432,
    ...SEED_CREDENTIALS,
  });
  return { namespace, pods, backend, backendName, statefulSetUid: sts.metadata.uid };
}

/** Starts the VM workload in `namespace`: pod `virt-launcher-my-vm-<x>` with web and smtp. */
export async function startVmWorkload(
  world: World,
  namespace: string,
  opts: { readonly backendBundle: string; readonly node?: string; readonly dualStack?: boolean },
): Promise<VmWorkload> {
  const pod = await createPod(world, {
    namespace,
    name: "virt-launcher-my-vm-7xk2p",
    labels: { vm: "my-vm", "kubevirt.internal.virtualization.deckhouse.io": "virt-launcher" },
    node: opts.node ?? "node-2",
    containers: [{ name: "compute", ports: [] }],
    dualStack: opts.dualStack ?? false,
  });
  const backendName = `vm-${namespace}`;
  const backend = await startBackend(world, backendName, opts.backendBundle);
  await backend.httpServer("web", pod.addresses.ipv4, 8080, "/healthz");
  await backend.tcpServer("smtp", pod.addresses.ipv4, 2525);
  if (pod.addresses.ipv6) {
    await backend.httpServer("web-v6", pod.addresses.ipv6, 8080, "/healthz");
    await backend.tcpServer("smtp-v6", pod.addresses.ipv6, 2525);
  }
  return { namespace, pod, backend, backendName };
}

/** Stops a workload's backend and deletes its pods (releasing their addresses). */
export async function stopWorkload(
  world: World,
  w: { readonly backendName: string; readonly pods?: readonly FakePod[]; readonly pod?: FakePod },
): Promise<void> {
  await stopBackend(world, w.backendName);
  for (const pod of [...(w.pods ?? []), ...(w.pod ? [w.pod] : [])]) await deletePod(world, pod);
}
