// Secret access hook: agents never get cluster-wide Secret access. For every namespace where at
// least one SWH's PostgreSQL probe names a credentials Secret, this hook keeps a Role granting
// get/list/watch on exactly those Secret names (resourceNames) and a RoleBinding of it to the
// agent's ServiceAccount; where no SWH references a Secret any more, both are deleted. Writes
// happen only when the Role or RoleBinding differs from what it should be. Namespaces being deleted
// are left alone (hooks/lib/namespaces.ts): the namespace controller deletes the pair there, and
// recreating it would be refused (403), fail the run and hold the operator's queue.
//
// Note on RBAC escalation prevention: the ServiceAccount that applies these objects (the
// operator's) must itself hold get/list/watch on Secrets in those namespaces, or `bind` and
// `escalate` on roles, or the API server refuses the Role and RoleBinding.

import {
  defineHook,
  type CreatePatchOperation,
  type DeletePatchOperation,
  type HookInput,
  type KubeObject,
} from "shell-operator-ts-hooks";
import {
  AGENT_SERVICE_ACCOUNT,
  HERITAGE_VALUE,
  LABEL_HERITAGE,
  LABEL_MODULE,
  MODULE_NAME,
  MODULE_NAMESPACE,
  SECRET_ACCESS_NAME,
  SWH_API_VERSION,
  SWH_KIND,
} from "../../api/contract.js";
import { asRecord, asString, asStringMap, jsonEqual } from "../lib/json.js";
import {
  namespacesBinding,
  NAMESPACES_BINDING,
  terminatingNamespaceNames,
} from "../lib/namespaces.js";
import { readNamespacedName } from "../lib/swh.js";

/** Binding names of this hook. */
export const SWH_BINDING = "swh";
export const ROLES_BINDING = "roles";
export const ROLE_BINDINGS_BINDING = "roleBindings";

const RBAC_GROUP = "rbac.authorization.k8s.io";
const RBAC_API_VERSION = `${RBAC_GROUP}/v1`;

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

const ownedSelector = {
  labelSelector: { matchLabels: { ...SECRET_ACCESS_LABELS } },
  nameSelector: { matchNames: [SECRET_ACCESS_NAME] },
};

const bindings = {
  [SWH_BINDING]: {
    name: SWH_BINDING,
    apiVersion: SWH_API_VERSION,
    kind: SWH_KIND,
    jqFilter: SWH_SECRET_REFS_JQ_FILTER,
    filter: filterSecretReferences,
  },
  [ROLES_BINDING]: {
    name: ROLES_BINDING,
    apiVersion: RBAC_API_VERSION,
    kind: "Role",
    ...ownedSelector,
    jqFilter: ROLE_JQ_FILTER,
    filter: filterRole,
  },
  [ROLE_BINDINGS_BINDING]: {
    name: ROLE_BINDINGS_BINDING,
    apiVersion: RBAC_API_VERSION,
    kind: "RoleBinding",
    ...ownedSelector,
    jqFilter: ROLE_BINDING_JQ_FILTER,
    filter: filterRoleBinding,
  },
  [NAMESPACES_BINDING]: namespacesBinding(),
};

function handle(input: HookInput<typeof bindings>): void {
  const operations = planSecretAccess(
    input.snapshots[SWH_BINDING],
    input.snapshots[ROLES_BINDING],
    input.snapshots[ROLE_BINDINGS_BINDING],
    terminatingNamespaceNames(input.snapshots[NAMESPACES_BINDING]),
  );
  input.patches.add(...operations);
  if (operations.length > 0) {
    input.logger.info("agent Secret access to write", { operations: operations.length });
  }
}

/**
 * The secret-access hook: SWHs, our Roles/RoleBindings and terminating namespaces in,
 * Role/RoleBinding writes out.
 */
export const secretAccessHook = defineHook({ name: "secret-access", kubernetes: bindings }, handle);
