// Which namespaces are being deleted. A hook that creates objects in the namespaces of SWHs (the
// child Service, the agent's Secret access Role) must not write into a namespace that is being
// deleted: the namespace controller deletes the SWH's objects there, the deletion wakes the hook,
// and a create is answered 403 ("namespace is being terminated"), failing the run and holding
// the operator's queue for its retry. SWHs cannot say whether their namespace is going away, so
// the hooks bind Namespaces cluster-wide, kept tiny in the operator's memory.
//
// The binding is snapshot-only: a namespace turning Terminating needs no action of its own, only
// a fresh snapshot for the run its deletions trigger. Its jqFilter keeps the name and the two
// fields that mark a deletion, so label or annotation changes do not even update the snapshot.

import type { KubernetesBinding } from "shell-operator-ts-hooks";
import { asString, recordAt } from "../../api/json-read.js";

/** Binding name shared by the hooks that skip terminating namespaces. */
export const NAMESPACES_BINDING = "namespaces";

/** `status.phase` of a namespace whose deletion has started. */
export const NAMESPACE_PHASE_TERMINATING = "Terminating";

/** A namespace being deleted (the only namespaces the snapshot keeps). */
export interface TerminatingNamespace {
  readonly name: string;
}

/**
 * jq program for Namespace bindings: the name, the deletion mark and the phase. The output keeps
 * the object's shape, so `filterTerminatingNamespace` accepts it and a full Namespace alike.
 */
export const NAMESPACE_JQ_FILTER = `{
  metadata: { name: .metadata.name, deletionTimestamp: .metadata.deletionTimestamp },
  status: { phase: .status.phase }
}`;

/**
 * Snapshot filter for Namespace bindings: the namespace when it is being deleted (a deletion
 * timestamp, or phase Terminating), undefined otherwise, so the snapshot holds only namespaces
 * the hooks must leave alone.
 */
export function filterTerminatingNamespace(obj: unknown): TerminatingNamespace | undefined {
  const metadata = recordAt(obj, "metadata");
  const name = asString(metadata.name);
  if (name === undefined) return undefined;
  const deleting = asString(metadata.deletionTimestamp) !== undefined;
  const phase = asString(recordAt(obj, "status").phase);
  return deleting || phase === NAMESPACE_PHASE_TERMINATING ? { name } : undefined;
}

/** The names of the namespaces in the snapshot, for lookups. */
export function terminatingNamespaceNames(
  namespaces: readonly TerminatingNamespace[],
): ReadonlySet<string> {
  return new Set(namespaces.map(n => n.name));
}

/** The snapshot-only Namespace binding, named NAMESPACES_BINDING. */
export function namespacesBinding(): KubernetesBinding<TerminatingNamespace> {
  return {
    name: NAMESPACES_BINDING,
    apiVersion: "v1",
    kind: "Namespace",
    executeHookOnEvent: [],
    jqFilter: NAMESPACE_JQ_FILTER,
    filter: filterTerminatingNamespace,
  };
}
