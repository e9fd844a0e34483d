// What the Secret-access hook keeps of its objects: the Secret names each SWH's PostgreSQL probes
// reference, and our Roles and RoleBindings (jqFilters for the operator, TS filters that validate
// the results), plus the labels those objects carry.

import { HERITAGE_VALUE, LABEL_HERITAGE, LABEL_MODULE, MODULE_NAME } from "../../api/contract.js";
import { asRecord, asString } from "../../api/json-read.js";
import { readNamespacedName } from "../lib/swh.js";

export const RBAC_GROUP = "rbac.authorization.k8s.io";
export const RBAC_API_VERSION = `${RBAC_GROUP}/v1`;

/** Labels on the Role and RoleBinding; the bindings select on them. */
export const SECRET_ACCESS_LABELS: Readonly<Record<string, string>> = {
  [LABEL_HERITAGE]: HERITAGE_VALUE,
  [LABEL_MODULE]: MODULE_NAME,
};

/** The Secret names one SWH's PostgreSQL probes reference. */
export interface SecretReferences {
  readonly namespace: string;
  readonly name: string;
  readonly secretNames: readonly string[];
}

/** What the hook keeps of one of its Roles. */
export interface RoleSnapshot {
  readonly namespace: string;
  readonly name: string;
  readonly rules: unknown;
}

/** What the hook keeps of one of its RoleBindings. */
export interface RoleBindingSnapshot {
  readonly namespace: string;
  readonly name: string;
  readonly roleRef: unknown;
  readonly subjects: unknown;
}

/** jqFilter for SWHs: name, namespace and the authSecretName of every PostgreSQL probe. */
export const SWH_SECRET_REFS_JQ_FILTER = `{
  metadata: { name: .metadata.name, namespace: .metadata.namespace },
  spec: { healthcheck: { probes: [
    (.spec.healthcheck.probes // [])[]
    | select(.mode == "PostgreSQL")
    | { mode: .mode, postgreSQL: { authSecretName: .postgreSQL.authSecretName } }
  ] } }
}`;

/** jqFilter for our Roles: identity and rules only. */
export const ROLE_JQ_FILTER = `{
  metadata: { name: .metadata.name, namespace: .metadata.namespace },
  rules: .rules
}`;

/** jqFilter for our RoleBindings: identity, roleRef and subjects only. */
export const ROLE_BINDING_JQ_FILTER = `{
  metadata: { name: .metadata.name, namespace: .metadata.namespace },
  roleRef: .roleRef,
  subjects: .subjects
}`;

/**
 * Snapshot filter for SWHs (the jq result or a raw object): the Secret names its PostgreSQL
 * probes reference, sorted and unique. Undefined without name or namespace.
 */
export function filterSecretReferences(obj: unknown): SecretReferences | undefined {
  const id = readNamespacedName(obj);
  if (id === undefined) return undefined;
  const probes = asRecord(asRecord(obj)?.spec)?.healthcheck;
  const list = asRecord(probes)?.probes;
  const names = new Set<string>();
  for (const probe of Array.isArray(list) ? list : []) {
    const raw = asRecord(probe);
    const secret = asString(asRecord(raw?.postgreSQL)?.authSecretName);
    if (raw?.mode === "PostgreSQL" && secret !== undefined) names.add(secret);
  }
  return { ...id, secretNames: [...names].sort() };
}

/** Snapshot filter for our Roles. */
export function filterRole(obj: unknown): RoleSnapshot | undefined {
  const id = readNamespacedName(obj);
  return id === undefined ? undefined : { ...id, rules: asRecord(obj)?.rules ?? null };
}

/** Snapshot filter for our RoleBindings. */
export function filterRoleBinding(obj: unknown): RoleBindingSnapshot | undefined {
  const id = readNamespacedName(obj);
  if (id === undefined) return undefined;
  const raw = asRecord(obj);
  return { ...id, roleRef: raw?.roleRef ?? null, subjects: raw?.subjects ?? null };
}
