// The module's RBAC as rendered: the agent gets exactly what it uses and never Secrets (the hooks
// grant those per namespace by name), nothing anywhere uses wildcards, every binding points at a
// ServiceAccount and role the chart renders, and the user-facing roles carry the labels and
// annotations Deckhouse's user-authz (RBAC v1) and rbacv2 aggregation look for.
import { AGENT_SERVICE_ACCOUNT, MODULE_NAMESPACE, SWH_PLURAL } from "../../../api/contract.js";
import { agentRbac } from "../../agent/cluster.js";
import {
  findObject,
  moduleValues,
  type RenderedObject,
  settingsExamples,
  useStagedChart,
} from "../../support/helm.js";

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}

interface Role extends RenderedObject {
  rules: PolicyRule[];
}

interface Binding extends RenderedObject {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}

const staged = useStagedChart();
let objects: RenderedObject[];

beforeAll(async () => {
  objects = await staged.render(moduleValues({}));
}, 600_000);

const roles = (): Role[] =>
  objects.filter(o => o.kind === "Role" || o.kind === "ClusterRole") as Role[];
const bindings = (): Binding[] =>
  objects.filter(o => o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding") as Binding[];

/** "group/resource" -> verbs, over all rules of a role. */
function grants(role: Role): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const rule of role.rules) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const key = `${group}/${resource}`;
        const verbs = out.get(key) ?? new Set<string>();
        for (const verb of rule.verbs) verbs.add(verb);
        out.set(key, verbs);
      }
    }
  }
  return out;
}

const asObject = (map: Map<string, Set<string>>): Record<string, string[]> =>
  Object.fromEntries([...map].map(([key, verbs]) => [key, [...verbs].sort()]));

describe("agent RBAC", () => {
  it("grants the agent exactly the cluster-wide access it uses", () => {
    const role = findObject(objects, "ClusterRole", "d8:service-with-healthchecks:agent") as Role;
    expect(asObject(grants(role))).toEqual({
      [`network.deckhouse.io/${SWH_PLURAL}`]: ["get", "list", "watch"],
      "/pods": ["get", "list", "watch"],
      "/nodes": ["get"],
      "discovery.k8s.io/endpointslices": [
        "create",
        "delete",
        "get",
        "list",
        "patch",
        "update",
        "watch",
      ],
      "/events": ["create", "patch"],
      "events.k8s.io/events": ["create", "patch"],
      "authentication.k8s.io/tokenreviews": ["create"],
      "authorization.k8s.io/subjectaccessreviews": ["create"],
    });
  });

  it("grants the agent its heartbeat Leases in the module namespace only", () => {
    const role = findObject(objects, "Role", "agent") as Role;
    expect(role.metadata.namespace).toBe(MODULE_NAMESPACE);
    expect(asObject(grants(role))).toEqual({
      "coordination.k8s.io/leases": ["create", "get", "list", "patch", "update", "watch"],
    });
  });

  it("binds both roles to the agent ServiceAccount", () => {
    const sa = findObject(objects, "ServiceAccount", AGENT_SERVICE_ACCOUNT);
    expect(sa.metadata.namespace).toBe(MODULE_NAMESPACE);
    const subject = {
      kind: "ServiceAccount",
      name: AGENT_SERVICE_ACCOUNT,
      namespace: MODULE_NAMESPACE,
    };
    const crb = findObject(
      objects,
      "ClusterRoleBinding",
      "d8:service-with-healthchecks:agent",
    ) as Binding;
    expect(crb.subjects).toEqual([subject]);
    expect(crb.roleRef).toMatchObject({
      kind: "ClusterRole",
      name: "d8:service-with-healthchecks:agent",
    });
    const rb = findObject(objects, "RoleBinding", "agent") as Binding;
    expect(rb.subjects).toEqual([subject]);
    expect(rb.roleRef).toMatchObject({ kind: "Role", name: "agent" });
  });
});

describe("the bare agents' RBAC in the e2e tests (tests/agent/cluster.ts)", () => {
  it("grants nothing the chart does not grant the agent", () => {
    const chart = [
      findObject(objects, "ClusterRole", "d8:service-with-healthchecks:agent") as Role,
      findObject(objects, "Role", "agent") as Role,
    ];
    const granted = (all: readonly Role[]): Map<string, Set<string>> => {
      const out = new Map<string, Set<string>>();
      for (const [key, verbs] of all.flatMap(r => [...grants(r)])) {
        out.set(key, new Set([...(out.get(key) ?? []), ...verbs]));
      }
      return out;
    };
    const bare = (agentRbac() as RenderedObject[]).filter(
      o => o.kind === "Role" || o.kind === "ClusterRole",
    ) as Role[];
    const allowed = granted(chart);
    const beyond = [...granted(bare)].flatMap(([key, verbs]) =>
      [...verbs].filter(v => !allowed.get(key)?.has(v)).map(v => `${key} ${v}`),
    );
    expect(beyond).toEqual([]);
  });
});

describe("all rendered RBAC", () => {
  it.each(settingsExamples().map((s, i) => [i, s] as const))(
    "never grants Secrets nor uses wildcards (settings example %i)",
    async (_i, settings) => {
      const rendered = await staged.render(moduleValues(settings));
      const rules = rendered
        .filter(o => o.kind === "Role" || o.kind === "ClusterRole")
        .flatMap(o => (o as Role).rules.map(rule => ({ role: o.metadata.name, rule })));
      expect(rules.length).toBeGreaterThan(0);
      for (const { role, rule } of rules) {
        const where = `${role}: ${JSON.stringify(rule)}`;
        expect([where, rule.resources ?? []]).not.toEqual([
          where,
          expect.arrayContaining(["secrets"]),
        ]);
        for (const field of [rule.apiGroups, rule.resources, rule.verbs, rule.resourceNames]) {
          expect([where, field ?? []]).not.toEqual([where, expect.arrayContaining(["*"])]);
        }
        expect(rule.nonResourceURLs).toBeUndefined();
      }
    },
  );

  it("binds only ServiceAccounts the chart renders, or Deckhouse's Prometheus", () => {
    const rendered = new Set(
      objects
        .filter(o => o.kind === "ServiceAccount")
        .map(o => `${o.metadata.namespace}/${o.metadata.name}`),
    );
    const external = new Set(["d8-monitoring/prometheus"]);
    for (const binding of bindings()) {
      for (const s of binding.subjects.filter(x => x.kind === "ServiceAccount")) {
        const id = `${s.namespace}/${s.name}`;
        expect([binding.metadata.name, rendered.has(id) || external.has(id)]).toEqual([
          binding.metadata.name,
          true,
        ]);
      }
    }
  });

  it("binds only roles the chart renders", () => {
    const names = new Set(roles().map(r => `${r.kind}/${r.metadata.name}`));
    for (const binding of bindings()) {
      expect(names.has(`${binding.roleRef.kind}/${binding.roleRef.name}`)).toBe(true);
    }
  });
});

describe("user-facing roles", () => {
  it("offers RBAC v1 user-authz roles: User reads, Editor changes", () => {
    const user = findObject(
      objects,
      "ClusterRole",
      "d8:user-authz:service-with-healthchecks:user",
    ) as Role;
    expect(user.metadata.annotations?.["user-authz.deckhouse.io/access-level"]).toBe("User");
    expect(asObject(grants(user))).toEqual({
      [`network.deckhouse.io/${SWH_PLURAL}`]: ["get", "list", "watch"],
    });
    const editor = findObject(
      objects,
      "ClusterRole",
      "d8:user-authz:service-with-healthchecks:editor",
    ) as Role;
    expect(editor.metadata.annotations?.["user-authz.deckhouse.io/access-level"]).toBe("Editor");
    expect(asObject(grants(editor))).toEqual({
      [`network.deckhouse.io/${SWH_PLURAL}`]: [
        "create",
        "delete",
        "deletecollection",
        "patch",
        "update",
      ],
    });
  });

  it.each([
    ["d8:use:capability:module:service-with-healthchecks:view", "use", "viewer"],
    ["d8:use:capability:module:service-with-healthchecks:edit", "use", "manager"],
  ])("%s aggregates into rbacv2 as %s/%s", (name, kind, as) => {
    const role = findObject(objects, "ClusterRole", name) as Role;
    expect(role.metadata.labels).toMatchObject({
      "rbac.deckhouse.io/kind": kind,
      "rbac.deckhouse.io/aggregate-to-kubernetes-as": as,
    });
    expect([...grants(role).keys()]).toEqual([`network.deckhouse.io/${SWH_PLURAL}`]);
  });

  it.each([
    [
      "d8:manage:permission:module:service-with-healthchecks:view",
      "viewer",
      ["get", "list", "watch"],
    ],
    [
      "d8:manage:permission:module:service-with-healthchecks:edit",
      "manager",
      ["create", "delete", "patch", "update"],
    ],
  ])("%s manages only this module's ModuleConfig", (name, as, verbs) => {
    const role = findObject(objects, "ClusterRole", name) as Role;
    expect(role.metadata.labels).toMatchObject({
      "rbac.deckhouse.io/kind": "manage",
      "rbac.deckhouse.io/level": "module",
      "rbac.deckhouse.io/namespace": MODULE_NAMESPACE,
      "rbac.deckhouse.io/aggregate-to-networking-as": as,
    });
    expect(role.rules).toEqual([
      {
        apiGroups: ["deckhouse.io"],
        resources: ["moduleconfigs"],
        resourceNames: ["service-with-healthchecks"],
        verbs: expect.arrayContaining(verbs),
      },
    ]);
  });

  it("lets Deckhouse's Prometheus read the agents' metrics, nothing more", () => {
    const role = findObject(objects, "Role", "access-to-agent-prometheus-metrics") as Role;
    expect(role.rules).toEqual([
      {
        apiGroups: ["apps"],
        resources: ["daemonsets/prometheus-metrics"],
        resourceNames: ["agent"],
        verbs: ["get"],
      },
    ]);
  });
});
