// Stand-in for dmt's `rbac` linter (deckhouse/dmt cannot be built here): user-authz,
// binding-subject, placement and wildcards, named after dmt's rules, on the rendered chart
// (the `source` of each object is its template path, as dmt's placement rules read it).
import { MODULE_NAME, MODULE_NAMESPACE } from "../../../api/contract.js";
import type { RenderedObject } from "../../support/helm.js";
import {
  allObjects,
  idOf,
  loadModuleUnderTest,
  type ModuleUnderTest,
} from "./module-under-test.js";

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
}

const USER_AUTHZ_FILE = "templates/user-authz-cluster-roles.yaml";
const ACCESS_LEVELS = [
  "User",
  "PrivilegedUser",
  "Editor",
  "Admin",
  "ClusterEditor",
  "ClusterAdmin",
  "SuperAdmin",
];

let m: ModuleUnderTest;
let objects: RenderedObject[];

beforeAll(async () => {
  m = await loadModuleUnderTest();
  objects = allObjects(m).map(([, o]) => o);
}, 600_000);

afterAll(async () => {
  await m?.cleanup();
});

/** The template's directory parts between templates/ and rbac-{for,to}-us.yaml. */
const partsOf = (source: string): string[] =>
  source
    .replace(/^templates\//, "")
    .replace(/\/?rbac-(for|to)-us\.yaml$/, "")
    .split("/")
    .filter(Boolean);
const kebab = (text: string): string => text.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase();

describe("rbac linter", () => {
  it("user-authz: only ClusterRoles named d8:user-authz:<module>:<access level>", () => {
    const roles = objects.filter(o => o.source === USER_AUTHZ_FILE);
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      expect(role.kind).toBe("ClusterRole");
      const level = role.metadata.annotations?.["user-authz.deckhouse.io/access-level"] ?? "";
      expect(ACCESS_LEVELS).toContain(level);
      expect(role.metadata.name).toBe(`d8:user-authz:${MODULE_NAME}:${kebab(level)}`);
    }
  });

  it("binding-subject: bindings name ServiceAccounts of this module that exist", () => {
    const accounts = new Set(
      objects
        .filter(o => o.kind === "ServiceAccount")
        .map(o => `${o.metadata.namespace}/${o.metadata.name}`),
    );
    const bindings = objects.filter(
      o => o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding",
    );
    expect(bindings.length).toBeGreaterThan(0);
    for (const binding of bindings) {
      const subjects = (binding.subjects ?? []) as {
        kind: string;
        name: string;
        namespace?: string;
      }[];
      for (const s of subjects.filter(x => x.kind === "ServiceAccount")) {
        if (s.namespace !== MODULE_NAMESPACE) continue;
        expect([idOf(binding), accounts.has(`${s.namespace}/${s.name}`)]).toEqual([
          idOf(binding),
          true,
        ]);
      }
    }
  });

  it("placement: ServiceAccounts in */rbac-for-us.yaml, named after the directory", () => {
    for (const sa of objects.filter(o => o.kind === "ServiceAccount")) {
      expect(sa.source).toMatch(/(^|\/)rbac-for-us\.yaml$/);
      const parts = partsOf(sa.source);
      expect(sa.metadata.name).toBe(parts.length > 0 ? parts.join("-") : MODULE_NAME);
      expect(sa.metadata.namespace).toBe(MODULE_NAMESPACE);
    }
  });

  it("placement: cluster-wide RBAC in rbac-for-us, user-authz or rbacv2 files, named d8:<module>", () => {
    const clusterWide = objects.filter(
      o => o.kind === "ClusterRole" || o.kind === "ClusterRoleBinding",
    );
    for (const o of clusterWide) {
      if (o.source === USER_AUTHZ_FILE || o.source.startsWith("templates/rbac")) {
        if (!o.source.endsWith("rbac-for-us.yaml")) continue;
      }
      expect([idOf(o), o.source]).toEqual([idOf(o), expect.stringMatching(/rbac-for-us\.yaml$/)]);
      expect([idOf(o), o.metadata.name.startsWith(`d8:${MODULE_NAME}`)]).toEqual([idOf(o), true]);
    }
  });

  it("placement: Roles in rbac-for-us (local names) or rbac-to-us (access-to-*), module namespace", () => {
    const namespaced = objects.filter(o => o.kind === "Role" || o.kind === "RoleBinding");
    expect(namespaced.length).toBeGreaterThan(0);
    for (const o of namespaced) {
      expect(o.metadata.namespace).toBe(MODULE_NAMESPACE);
      const parts = partsOf(o.source);
      if (o.source.endsWith("rbac-to-us.yaml")) {
        expect(o.metadata.name.startsWith(`access-to-${parts.join("-")}-`)).toBe(true);
      } else {
        expect(o.source).toMatch(/rbac-for-us\.yaml$/);
        expect(o.metadata.name.startsWith(parts.join(":"))).toBe(true);
      }
    }
  });

  it("wildcards: no * in apiGroups, resources or verbs of any role", () => {
    const roles = objects.filter(o => o.kind === "Role" || o.kind === "ClusterRole");
    for (const role of roles) {
      for (const rule of (role.rules ?? []) as Rule[]) {
        for (const list of [rule.apiGroups, rule.resources, rule.verbs]) {
          expect([idOf(role), (list ?? []).includes("*")]).toEqual([idOf(role), false]);
        }
      }
    }
  });
});
