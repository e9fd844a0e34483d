// The whole cluster the hook-scaling benchmark feeds the hooks, for one scale: the module's own
// objects (objects.ts: Nodes, agent Leases, SWHs, child Services, the agents' slices), the
// Namespaces (namespaces.ts), other apps' Services with kube-controller-manager's slices
// (neighbours.ts), and the leftovers of adopted Services (adoption.ts). Every binding of every
// hook thus sees what it would see in a real cluster of that size, not only the SWHs' objects.
// Pure and deterministic but for the Leases' renew time.

import { LABEL_MANAGED_BY } from "../../api/contract.js";
import { adoptionLeftovers } from "./adoption.js";
import { namespaces } from "./namespaces.js";
import { appNamespaceNames, neighbours } from "./neighbours.js";
import { swhObjects, type KubeObject, type Scale } from "./objects.js";

/** The generated objects. */
export interface Cluster {
  readonly objects: KubeObject[];
}

/** Generates the cluster for `scale` (agent Leases renewed at `now`). */
export function generateCluster(scale: Scale, now: Date): Cluster {
  return {
    objects: [
      ...namespaces(scale, appNamespaceNames(scale)),
      ...swhObjects(scale, now),
      ...neighbours(scale),
      ...adoptionLeftovers(scale),
    ],
  };
}

/** How many objects of each kind the cluster holds (EndpointSlices split by who made them). */
export function countObjects(objects: readonly KubeObject[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of objects) {
    const labels = (o.metadata.labels ?? {}) as Record<string, string>;
    const managedBy = labels[LABEL_MANAGED_BY];
    const key =
      o.kind === "EndpointSlice" && managedBy !== undefined ? `${o.kind} (${managedBy})` : o.kind;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** What the cluster holds, in words, for the report (scale-independent parts). */
export const WORKLOAD_DESCRIPTION =
  "per SWH: 10 pods over 5 nodes in the agents' slices, its child Service; 10 SWHs per " +
  "namespace, 1 namespace in 100 terminating; other apps: 10 Services per SWH (2 pods each, " +
  "50 per namespace, 1 namespace in 20 terminating) with their endpointslice-controller " +
  "slices; 1 SWH in 100 adopted a Service whose controller slice, Endpoints and mirror slice " +
  "are left over";
