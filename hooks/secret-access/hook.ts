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

import { defineHook, type HookInput } from "shell-operator-ts-hooks";
import { SECRET_ACCESS_NAME, SWH_API_VERSION, SWH_KIND } from "../../api/contract.js";
import {
  namespacesBinding,
  NAMESPACES_BINDING,
  terminatingNamespaceNames,
} from "../lib/namespaces.js";
import { planSecretAccess } from "./plan.js";
import {
  RBAC_API_VERSION,
  ROLE_BINDING_JQ_FILTER,
  ROLE_JQ_FILTER,
  SECRET_ACCESS_LABELS,
  SWH_SECRET_REFS_JQ_FILTER,
  filterRole,
  filterRoleBinding,
  filterSecretReferences,
} from "./snapshots.js";

/** Binding names of this hook. */
export const SWH_BINDING = "swh";
export const ROLES_BINDING = "roles";
export const ROLE_BINDINGS_BINDING = "roleBindings";

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
