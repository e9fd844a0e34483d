// Tests for the secret-access hook: per-namespace Role/RoleBinding granting the agent read
// access to exactly the Secrets SWHs reference; deleted when no longer referenced; no writes
// when everything is already right (including after the API server's defaulting).

import { execFileSync } from "node:child_process";
import {
  batchConfigWarnings,
  runHookForTest,
  toShellOperatorConfig,
  validateShellOperatorConfig,
} from "shell-operator-ts-hooks/testing";
import { parse } from "yaml";
import { ROLE_BINDINGS_BINDING, ROLES_BINDING, secretAccessHook, SWH_BINDING } from "./hook.js";
import { desiredRole, desiredRoleBinding, planSecretAccess, secretsByNamespace } from "./plan.js";
import {
  filterRole,
  filterRoleBinding,
  filterSecretReferences,
  ROLE_BINDING_JQ_FILTER,
  ROLE_JQ_FILTER,
  SWH_SECRET_REFS_JQ_FILTER,
  type RoleBindingSnapshot,
  type RoleSnapshot,
  type SecretReferences,
} from "./snapshots.js";
import { NAMESPACE_JQ_FILTER, NAMESPACES_BINDING } from "../lib/namespaces.js";

/** Free-form JSON fixtures. */
type Obj = Record<string, any>;

function jq(program: string, input: unknown): unknown {
  return JSON.parse(
    execFileSync("jq", ["-c", program], { input: JSON.stringify(input) }).toString(),
  );
}

const NAME = "d8-service-with-healthchecks-agent-secrets";

/** An SWH with two PostgreSQL probes (one Secret twice), a TCP and an HTTP probe. */
const SWH_DB = parse(`
apiVersion: network.deckhouse.io/v1alpha1
kind: ServiceWithHealthchecks
metadata: { name: postgres-write, namespace: my-ns, uid: u1 }
spec:
  ports: [{ port: 5432 }]
  healthcheck:
    probes:
    - mode: PostgreSQL
      postgreSQL: { targetPort: 5432, authSecretName: cred-secret, query: "SELECT NOT pg_is_in_recovery()" }
    - mode: PostgreSQL
      postgreSQL: { targetPort: 5432, authSecretName: cred-secret }
    - mode: TCP
      tcp: { targetPort: 5432 }
    - mode: HTTP
      http: { targetPort: 8008, path: /primary }
`) as Obj;

/** The operation that deletes our Role or RoleBinding in `namespace`. */
function deleteOf(kind: "Role" | "RoleBinding", namespace: string): Obj {
  return {
    operation: "DeleteInBackground",
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    namespace,
    name: NAME,
  };
}
/** Builds an SWH in `namespace` referencing `secrets` (one PostgreSQL probe each). */
function swh(namespace: string, name: string, secrets: string[]): Obj {
  return {
    apiVersion: "network.deckhouse.io/v1alpha1",
    kind: "ServiceWithHealthchecks",
    metadata: { name, namespace, uid: `${namespace}-${name}` },
    spec: {
      ports: [{ port: 5432 }],
      healthcheck: {
        probes: secrets.map(s => ({
          mode: "PostgreSQL",
          postgreSQL: { targetPort: 5432, authSecretName: s },
        })),
      },
    },
  };
}

/** A Role/RoleBinding as the API server returns it (defaults filled, server fields added). */
function stored(obj: Obj): Obj {
  const copy = structuredClone(obj);
  Object.assign(copy.metadata, { uid: `uid-${copy.kind}`, resourceVersion: "7" });
  if (copy.kind === "RoleBinding") {
    copy.subjects = copy.subjects.map((s: Obj) => ({ apiGroup: "", ...s }));
  }
  return copy;
}

function refs(objs: Obj[]): SecretReferences[] {
  return objs.map(o => filterSecretReferences(o)!);
}
function roles(objs: Obj[]): RoleSnapshot[] {
  return objs.map(o => filterRole(o)!);
}
function bindings(objs: Obj[]): RoleBindingSnapshot[] {
  return objs.map(o => filterRoleBinding(o)!);
}

describe("filterSecretReferences", () => {
  it("collects PostgreSQL authSecretNames, sorted and unique", () => {
    expect(filterSecretReferences(SWH_DB)).toEqual({
      namespace: "my-ns",
      name: "postgres-write",
      secretNames: ["cred-secret"],
    });
  });

  it("gives the same result on the jq program's output", () => {
    const reduced = jq(SWH_SECRET_REFS_JQ_FILTER, SWH_DB);
    expect(filterSecretReferences(reduced)).toEqual(filterSecretReferences(SWH_DB));
    expect(JSON.stringify(reduced)).not.toContain("pg_is_in_recovery");
  });

  it.each([
    // no healthcheck at all
    [{ metadata: { name: "a", namespace: "n" }, spec: {} }, []],
    // a postgreSQL block under a non-PostgreSQL mode is not a reference
    [
      {
        metadata: { name: "a", namespace: "n" },
        spec: { healthcheck: { probes: [{ mode: "TCP", postgreSQL: { authSecretName: "x" } }] } },
      },
      [],
    ],
    // PostgreSQL probe without a Secret
    [
      {
        metadata: { name: "a", namespace: "n" },
        spec: { healthcheck: { probes: [{ mode: "PostgreSQL", postgreSQL: { targetPort: 1 } }] } },
      },
      [],
    ],
  ])("finds no Secret in %j", (obj, expected) => {
    expect(filterSecretReferences(obj)?.secretNames).toEqual(expected);
    expect(filterSecretReferences(jq(SWH_SECRET_REFS_JQ_FILTER, obj))?.secretNames).toEqual(
      expected,
    );
  });

  it("drops objects without name or namespace", () => {
    expect(filterSecretReferences({ metadata: { name: "a" } })).toBeUndefined();
  });
});

describe("secretsByNamespace", () => {
  it("merges SWHs of a namespace, sorts and dedups, omits namespaces without references", () => {
    const map = secretsByNamespace(
      refs([
        swh("b", "x", ["s2", "s1"]),
        swh("a", "y", ["s9"]),
        swh("b", "z", ["s1", "s3"]),
        swh("c", "tcp-only", []),
      ]),
    );
    expect([...map.entries()]).toEqual([
      ["a", ["s9"]],
      ["b", ["s1", "s2", "s3"]],
    ]);
  });
});

describe("planSecretAccess", () => {
  const roleA = stored(desiredRole("a", ["s1"]));
  const bindingA = stored(desiredRoleBinding("a"));
  const roleB = stored(desiredRole("b", ["s2", "s3"]));
  const bindingB = stored(desiredRoleBinding("b"));

  it("creates a Role and RoleBinding per namespace (two namespaces)", () => {
    const ops = planSecretAccess(
      refs([swh("b", "x", ["s3", "s2"]), swh("a", "y", ["s1"]), swh("b", "z", ["s2"])]),
      [],
      [],
    );
    expect(ops).toEqual([
      { operation: "CreateOrUpdate", object: desiredRole("a", ["s1"]) },
      { operation: "CreateOrUpdate", object: desiredRoleBinding("a") },
      { operation: "CreateOrUpdate", object: desiredRole("b", ["s2", "s3"]) },
      { operation: "CreateOrUpdate", object: desiredRoleBinding("b") },
    ]);
  });

  it("builds the exact Role and RoleBinding", () => {
    expect(desiredRole("my-ns", ["a", "b"])).toEqual({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: {
        name: NAME,
        namespace: "my-ns",
        labels: { heritage: "deckhouse", module: "service-with-healthchecks" },
      },
      rules: [
        {
          apiGroups: [""],
          resources: ["secrets"],
          verbs: ["get", "list", "watch"],
          resourceNames: ["a", "b"],
        },
      ],
    });
    expect(desiredRoleBinding("my-ns")).toEqual({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: {
        name: NAME,
        namespace: "my-ns",
        labels: { heritage: "deckhouse", module: "service-with-healthchecks" },
      },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: NAME },
      subjects: [
        { kind: "ServiceAccount", name: "agent", namespace: "d8-service-with-healthchecks" },
      ],
    });
  });

  it.each<[string, Obj[], Obj[], Obj[], unknown[]]>([
    // everything in place (server-defaulted subjects): no writes
    [
      "no-op",
      [swh("a", "y", ["s1"]), swh("b", "x", ["s3", "s2"])],
      [roleA, roleB],
      [bindingA, bindingB],
      [],
    ],
    // a reference removed in b: the Role shrinks, the binding stays
    [
      "reference removed",
      [swh("a", "y", ["s1"]), swh("b", "x", ["s3"])],
      [roleA, roleB],
      [bindingA, bindingB],
      [{ operation: "CreateOrUpdate", object: desiredRole("b", ["s3"]) }],
    ],
    // the last reference in b removed: both objects in b deleted
    [
      "namespace no longer referenced",
      [swh("a", "y", ["s1"]), swh("b", "x", [])],
      [roleA, roleB],
      [bindingA, bindingB],
      [deleteOf("Role", "b"), deleteOf("RoleBinding", "b")],
    ],
    // no SWHs at all: everything goes, only what exists is deleted
    ["no SWHs", [], [roleA], [], [deleteOf("Role", "a")]],
    // the binding is missing: only it is created
    [
      "binding missing",
      [swh("a", "y", ["s1"])],
      [roleA],
      [],
      [{ operation: "CreateOrUpdate", object: desiredRoleBinding("a") }],
    ],
    // someone edited the subjects: restored
    [
      "subjects tampered",
      [swh("a", "y", ["s1"])],
      [roleA],
      [{ ...bindingA, subjects: [{ kind: "ServiceAccount", name: "default", namespace: "a" }] }],
      [{ operation: "CreateOrUpdate", object: desiredRoleBinding("a") }],
    ],
    // roleRef is immutable: delete and create
    [
      "roleRef differs",
      [swh("a", "y", ["s1"])],
      [roleA],
      [
        {
          ...bindingA,
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
        },
      ],
      [deleteOf("RoleBinding", "a"), { operation: "Create", object: desiredRoleBinding("a") }],
    ],
    // someone widened the Role's verbs: restored
    [
      "rules tampered",
      [swh("a", "y", ["s1"])],
      [{ ...roleA, rules: [{ ...roleA.rules[0], verbs: ["*"] }] }],
      [bindingA],
      [{ operation: "CreateOrUpdate", object: desiredRole("a", ["s1"]) }],
    ],
  ])("%s", (_case, swhs, roleObjs, bindingObjs, expected) => {
    expect(planSecretAccess(refs(swhs), roles(roleObjs), bindings(bindingObjs))).toEqual(expected);
  });

  it("scales linearly: 1,000 SWHs in 100 namespaces, then no writes", () => {
    const swhs = Array.from({ length: 1000 }, (_, i) =>
      swh(`ns-${i % 100}`, `s${i}`, [`cred-${i % 7}`]),
    );
    const first = planSecretAccess(refs(swhs), [], []);
    expect(first).toHaveLength(200);
    const created = first.map(op => stored((op as { object: Obj }).object));
    const again = planSecretAccess(
      refs(swhs),
      roles(created.filter(o => o.kind === "Role")),
      bindings(created.filter(o => o.kind === "RoleBinding")),
    );
    expect(again).toEqual([]);
  });
});

describe("planSecretAccess: namespaces being deleted", () => {
  const roleA = stored(desiredRole("a", ["s1"]));
  const bindingA = stored(desiredRoleBinding("a"));

  it.each<[string, Obj[], Obj[], Obj[], string[], unknown[]]>([
    // the reported bug: the namespace controller deleted the pair, the SWH is still listed
    ["pair deleted by the namespace: not recreated", [swh("a", "y", ["s1"])], [], [], ["a"], []],
    [
      "a reference changed meanwhile: not updated",
      [swh("a", "y", ["s1", "s2"])],
      [roleA],
      [bindingA],
      ["a"],
      [],
    ],
    ["no longer referenced: left to the namespace controller", [], [roleA], [bindingA], ["a"], []],
    [
      "another namespace being deleted: this one is written",
      [swh("a", "y", ["s1"]), swh("b", "x", ["s2"])],
      [],
      [],
      ["b"],
      [
        { operation: "CreateOrUpdate", object: desiredRole("a", ["s1"]) },
        { operation: "CreateOrUpdate", object: desiredRoleBinding("a") },
      ],
    ],
  ])("%s", (_case, swhs, roleObjs, bindingObjs, terminating, expected) => {
    const ops = planSecretAccess(
      refs(swhs),
      roles(roleObjs),
      bindings(bindingObjs),
      new Set(terminating),
    );
    expect(ops).toEqual(expected);
  });
});

describe("secretAccessHook", () => {
  it("runs end to end on jq-filtered snapshots", async () => {
    const roleB = stored(desiredRole("b", ["old"]));
    const result = await runHookForTest(secretAccessHook, {
      snapshots: {
        [SWH_BINDING]: [jq(SWH_SECRET_REFS_JQ_FILTER, SWH_DB)],
        [ROLES_BINDING]: [jq(ROLE_JQ_FILTER, roleB)],
        [ROLE_BINDINGS_BINDING]: [jq(ROLE_BINDING_JQ_FILTER, stored(desiredRoleBinding("b")))],
      },
    });
    expect(result.operations).toEqual([
      { operation: "CreateOrUpdate", object: desiredRole("my-ns", ["cred-secret"]) },
      { operation: "CreateOrUpdate", object: desiredRoleBinding("my-ns") },
      deleteOf("Role", "b"),
      deleteOf("RoleBinding", "b"),
    ]);
  });

  it("skips a namespace whose Namespace is Terminating, from jq output", async () => {
    const terminating = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "my-ns", deletionTimestamp: "2026-01-01T00:00:00Z" },
      status: { phase: "Terminating" },
    };
    const result = await runHookForTest(secretAccessHook, {
      snapshots: {
        [SWH_BINDING]: [jq(SWH_SECRET_REFS_JQ_FILTER, SWH_DB)],
        [ROLES_BINDING]: [],
        [ROLE_BINDINGS_BINDING]: [],
        [NAMESPACES_BINDING]: [jq(NAMESPACE_JQ_FILTER, terminating)],
      },
    });
    expect(result.operations).toEqual([]);
  });

  it("writes nothing when up to date", async () => {
    const result = await runHookForTest(secretAccessHook, {
      snapshots: {
        [SWH_BINDING]: [SWH_DB],
        [ROLES_BINDING]: [stored(desiredRole("my-ns", ["cred-secret"]))],
        [ROLE_BINDINGS_BINDING]: [stored(desiredRoleBinding("my-ns"))],
      },
    });
    expect(result.operations).toEqual([]);
  });

  it("watches only our Roles and RoleBindings, with a valid config", () => {
    const config = toShellOperatorConfig(secretAccessHook);
    expect(validateShellOperatorConfig(config, "addon-operator-module")).toEqual([]);
    expect(batchConfigWarnings([secretAccessHook])).toEqual([]);
    const selector = {
      labelSelector: {
        matchLabels: { heritage: "deckhouse", module: "service-with-healthchecks" },
      },
      nameSelector: { matchNames: [NAME] },
    };
    expect(config.kubernetes).toEqual([
      expect.objectContaining({ name: "swh", jqFilter: SWH_SECRET_REFS_JQ_FILTER }),
      expect.objectContaining({ name: "roles", kind: "Role", ...selector }),
      expect.objectContaining({ name: "roleBindings", kind: "RoleBinding", ...selector }),
      expect.objectContaining({
        name: "namespaces",
        kind: "Namespace",
        executeHookOnEvent: [],
        jqFilter: NAMESPACE_JQ_FILTER,
      }),
    ]);
  });
});
