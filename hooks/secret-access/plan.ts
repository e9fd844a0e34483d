// The Secret-access planner: per namespace, the Role granting the agent read access to exactly
// the Secrets its SWHs reference and the RoleBinding to the agent's ServiceAccount, as ready
// operations - created or updated when they differ, deleted when no SWH references a Secret there
// any more, nothing in a namespace being deleted. Pure.

import {
  type CreatePatchOperation,
  type DeletePatchOperation,
  type KubeObject,
} from "shell-operator-ts-hooks";
import { AGENT_SERVICE_ACCOUNT, MODULE_NAMESPACE, SECRET_ACCESS_NAME } from "../../api/contract.js";
import { asRecord, asString, asStringMap, jsonEqual } from "../../api/json-read.js";
import {
  RBAC_API_VERSION,
  RBAC_GROUP,
  RoleBindingSnapshot,
  RoleSnapshot,
  SECRET_ACCESS_LABELS,
  SecretReferences,
} from "./snapshots.js";

/** Namespace → referenced Secret names (sorted, unique), for namespaces with at least one. */
export function secretsByNamespace(refs: readonly SecretReferences[]): Map<string, string[]> {
  const sets = new Map<string, Set<string>>();
  for (const ref of refs) {
    if (ref.secretNames.length === 0) continue;
    const set = sets.get(ref.namespace) ?? new Set<string>();
    for (const name of ref.secretNames) set.add(name);
    sets.set(ref.namespace, set);
  }
  const out = new Map<string, string[]>();
  for (const namespace of [...sets.keys()].sort()) {
    out.set(namespace, [...(sets.get(namespace) ?? [])].sort());
  }
  return out;
}

function metadata(namespace: string): KubeObject["metadata"] {
  return { name: SECRET_ACCESS_NAME, namespace, labels: { ...SECRET_ACCESS_LABELS } };
}

/** The Role granting the agent read access to exactly `secretNames` in `namespace`. */
export function desiredRole(namespace: string, secretNames: readonly string[]): KubeObject {
  return {
    apiVersion: RBAC_API_VERSION,
    kind: "Role",
    metadata: metadata(namespace),
    rules: [
      {
        apiGroups: [""],
        resources: ["secrets"],
        verbs: ["get", "list", "watch"],
        resourceNames: [...secretNames],
      },
    ],
  };
}

/** The RoleBinding of that Role to the agent's ServiceAccount. */
export function desiredRoleBinding(namespace: string): KubeObject {
  return {
    apiVersion: RBAC_API_VERSION,
    kind: "RoleBinding",
    metadata: metadata(namespace),
    roleRef: { apiGroup: RBAC_GROUP, kind: "Role", name: SECRET_ACCESS_NAME },
    subjects: [
      { kind: "ServiceAccount", name: AGENT_SERVICE_ACCOUNT, namespace: MODULE_NAMESPACE },
    ],
  };
}

/** Subjects with the API server's default (`apiGroup: ""` for ServiceAccounts) filled in. */
function normalizeSubjects(subjects: unknown): unknown {
  if (!Array.isArray(subjects)) return subjects;
  return subjects.map(s => {
    const raw = asRecord(s) ?? {};
    return { ...asStringMap(raw), apiGroup: asString(raw.apiGroup) ?? "" };
  });
}

/** An operation the plan asks for. */
export type SecretAccessOperation = CreatePatchOperation | DeletePatchOperation;

function deleteOperation(kind: string, namespace: string): DeletePatchOperation {
  return {
    operation: "DeleteInBackground",
    apiVersion: RBAC_API_VERSION,
    kind,
    namespace,
    name: SECRET_ACCESS_NAME,
  };
}

function planRole(
  namespace: string,
  secrets: readonly string[],
  role: RoleSnapshot | undefined,
): SecretAccessOperation[] {
  const want = desiredRole(namespace, secrets);
  if (role !== undefined && jsonEqual(want.rules, role.rules)) return [];
  return [{ operation: "CreateOrUpdate", object: want }];
}

function planRoleBinding(
  namespace: string,
  binding: RoleBindingSnapshot | undefined,
): SecretAccessOperation[] {
  const want = desiredRoleBinding(namespace);
  if (binding === undefined) return [{ operation: "CreateOrUpdate", object: want }];
  if (!jsonEqual(want.roleRef, binding.roleRef)) {
    // roleRef is immutable: replace the binding (background deletion is immediate here).
    return [deleteOperation("RoleBinding", namespace), { operation: "Create", object: want }];
  }
  if (jsonEqual(normalizeSubjects(want.subjects), normalizeSubjects(binding.subjects))) return [];
  return [{ operation: "CreateOrUpdate", object: want }];
}

function byNamespace<T extends { namespace: string; name: string }>(
  items: readonly T[],
): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    if (item.name === SECRET_ACCESS_NAME) map.set(item.namespace, item);
  }
  return map;
}

/**
 * Plans Role/RoleBinding writes: one pair per namespace with referenced Secrets, created or
 * updated only when different; pairs in namespaces without references deleted; nothing in
 * `terminating` namespaces (being deleted). Deterministic (namespaces sorted) and linear in the
 * number of SWHs, Roles and RoleBindings.
 */
export function planSecretAccess(
  refs: readonly SecretReferences[],
  roles: readonly RoleSnapshot[],
  roleBindings: readonly RoleBindingSnapshot[],
  terminating: ReadonlySet<string> = new Set(),
): SecretAccessOperation[] {
  const wanted = secretsByNamespace(refs);
  const roleMap = byNamespace(roles);
  const bindingMap = byNamespace(roleBindings);
  const operations: SecretAccessOperation[] = [];
  for (const [namespace, secrets] of wanted) {
    if (terminating.has(namespace)) continue;
    operations.push(...planRole(namespace, secrets, roleMap.get(namespace)));
    operations.push(...planRoleBinding(namespace, bindingMap.get(namespace)));
  }
  const stale = new Set([...roleMap.keys(), ...bindingMap.keys()]);
  for (const namespace of [...stale].sort()) {
    if (wanted.has(namespace) || terminating.has(namespace)) continue;
    if (roleMap.has(namespace)) operations.push(deleteOperation("Role", namespace));
    if (bindingMap.has(namespace)) operations.push(deleteOperation("RoleBinding", namespace));
  }
  return operations;
}
