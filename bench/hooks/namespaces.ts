// The Namespaces of the hook-scaling benchmark's cluster: the ones holding SWHs (see objects.ts),
// the ones of other apps (see neighbours.ts) and a handful of system ones, as the API server
// returns them. A few are being deleted, so the child-service and secret-access hooks, which bind
// Namespaces cluster-wide and skip terminating ones, have both kinds in their snapshot: one SWH
// namespace in a hundred and one other-app namespace in twenty. Pure and deterministic.

import { MODULE_NAMESPACE } from "../../api/contract.js";
import {
  FIXED_TIME,
  swhNamespaceCount,
  swhNamespaceName,
  type KubeObject,
  type Scale,
} from "./objects.js";

/** Namespaces every Deckhouse cluster has, whatever its workload. */
const SYSTEM_NAMESPACES = [
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "d8-system",
  "d8-monitoring",
  "d8-cloud-instance-manager",
  MODULE_NAMESPACE,
];

/** When the deletion of the terminating namespaces started (after every object's creation). */
const DELETION_TIME = "2026-01-01T00:05:00Z";

/** A Namespace, Active or (`terminating`) being deleted with content left to remove. */
export function namespace(name: string, terminating: boolean): KubeObject {
  const metadata = {
    name,
    uid: `ns-uid-${name}`,
    resourceVersion: "1",
    creationTimestamp: FIXED_TIME,
    labels: { "kubernetes.io/metadata.name": name },
  };
  if (!terminating) {
    return {
      apiVersion: "v1",
      kind: "Namespace",
      metadata,
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    };
  }
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { ...metadata, deletionTimestamp: DELETION_TIME },
    spec: { finalizers: ["kubernetes"] },
    status: {
      phase: "Terminating",
      conditions: [
        {
          type: "NamespaceContentRemaining",
          status: "True",
          reason: "SomeResourcesRemain",
          message: "Some resources are remaining",
          lastTransitionTime: DELETION_TIME,
        },
      ],
    },
  };
}

/** Whether the k-th SWH namespace is being deleted (one in a hundred). */
export function swhNamespaceTerminating(k: number): boolean {
  return k % 100 === 99;
}

/** Whether the m-th other-app namespace is being deleted (one in twenty). */
export function appNamespaceTerminating(m: number): boolean {
  return m % 20 === 19;
}

/** Every Namespace of the cluster at `scale`, given the names of the other apps' namespaces. */
export function namespaces(scale: Scale, appNamespaces: readonly string[]): KubeObject[] {
  const out = SYSTEM_NAMESPACES.map(name => namespace(name, false));
  for (let k = 0; k < swhNamespaceCount(scale); k++) {
    out.push(namespace(swhNamespaceName(k), swhNamespaceTerminating(k)));
  }
  appNamespaces.forEach((name, m) => out.push(namespace(name, appNamespaceTerminating(m))));
  return out;
}
