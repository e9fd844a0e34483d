// Snapshot filter keeping only an object's name, namespace and uid: the hooks' view of Nodes,
// and of SWHs where only their identity matters. A jq program for the operator and the
// TypeScript function that validates its output (or the full object).

import { asString, compact, recordAt } from "../../api/json-read.js";

/** Name, namespace and uid of any object: enough for Nodes and for GC's view of SWHs. */
export interface ObjectIdentity {
  readonly name: string;
  /** Empty string for cluster-scoped objects. */
  readonly namespace: string;
  readonly uid?: string;
}

/** jq program keeping only name, namespace and uid (Nodes; SWHs where only identity matters). */
export const OBJECT_IDENTITY_JQ_FILTER = `{
  metadata: {name: .metadata.name, namespace: .metadata.namespace, uid: .metadata.uid}
}`;

/**
 * Validates any object's identity (full object or `OBJECT_IDENTITY_JQ_FILTER` output);
 * undefined without a name.
 */
export function filterObjectIdentity(obj: unknown): ObjectIdentity | undefined {
  const metadata = recordAt(obj, "metadata");
  const name = asString(metadata.name);
  if (name === undefined) return undefined;
  return compact<ObjectIdentity>({
    name,
    namespace: asString(metadata.namespace) ?? "",
    uid: asString(metadata.uid),
  });
}
