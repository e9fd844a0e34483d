// Stand-in for dmt's `container` linter (deckhouse/dmt cannot be built here: the Go module proxy
// refuses github.com/deckhouse/*). Each test is named after the dmt rule it checks and runs on
// the rendered chart: default settings and every settings example, all optional modules on.
import { MODULE_NAME, MODULE_NAMESPACE } from "../../../api/contract.js";
import { TEST_REGISTRY, settingsExamples, type RenderedObject } from "../../support/helm.js";
import {
  POD_CONTROLLERS,
  containersOf,
  idOf,
  loadModuleUnderTest,
  podOf,
  type ModuleUnderTest,
} from "./module-under-test.js";

const RENDERS = ["defaults", ...settingsExamples().map((_s, i) => `example ${i}`)];
const ALLOWED_PRIORITY_CLASSES = [
  "system-node-critical",
  "system-cluster-critical",
  "cluster-critical",
  "cluster-medium",
  "cluster-low",
  "production-high",
  "production-medium",
  "production-low",
  "staging",
  "develop",
  "standby",
];
const API_VERSIONS: Record<string, string> = {
  Role: "rbac.authorization.k8s.io/v1",
  RoleBinding: "rbac.authorization.k8s.io/v1",
  ClusterRole: "rbac.authorization.k8s.io/v1",
  ClusterRoleBinding: "rbac.authorization.k8s.io/v1",
  Deployment: "apps/v1",
  DaemonSet: "apps/v1",
  StatefulSet: "apps/v1",
  Ingress: "networking.k8s.io/v1",
  PriorityClass: "scheduling.k8s.io/v1",
  NetworkPolicy: "networking.k8s.io/v1",
};

let m: ModuleUnderTest;

beforeAll(async () => {
  m = await loadModuleUnderTest();
}, 600_000);

afterAll(async () => {
  await m?.cleanup();
});

const objectsOf = (render: string): readonly RenderedObject[] => m.renders.get(render) ?? [];
const controllersOf = (render: string): RenderedObject[] => {
  const found = objectsOf(render).filter(o => POD_CONTROLLERS.has(o.kind));
  expect(found.length).toBeGreaterThan(0);
  return found;
};
/** Handlers set on a probe (exec, httpGet, tcpSocket, grpc). */
const handlers = (probe?: Record<string, unknown>): number =>
  probe ? ["exec", "httpGet", "tcpSocket", "grpc"].filter(h => probe[h] !== undefined).length : 0;

describe.each(RENDERS)("container linter, %s", render => {
  it("recommended-labels: every object carries module and heritage", () => {
    for (const o of objectsOf(render)) {
      expect([idOf(o), o.metadata.labels]).toEqual([
        idOf(o),
        expect.objectContaining({ heritage: "deckhouse", module: MODULE_NAME }),
      ]);
    }
  });

  it("namespace-labels: d8- namespaces enable the Prometheus rules watcher", () => {
    const namespaces = objectsOf(render).filter(o => o.kind === "Namespace");
    expect(namespaces.map(n => n.metadata.name)).toEqual([MODULE_NAMESPACE]);
    for (const ns of namespaces.filter(n => n.metadata.name.startsWith("d8-"))) {
      expect(ns.metadata.labels?.["prometheus.deckhouse.io/rules-watcher-enabled"]).toBe("true");
    }
  });

  it("api-version: no deprecated API versions", () => {
    for (const o of objectsOf(render)) {
      const wanted = API_VERSIONS[o.kind];
      if (wanted) expect([idOf(o), o.apiVersion]).toEqual([idOf(o), wanted]);
    }
  });

  it("priority-class: set, and one of Deckhouse's classes", () => {
    for (const o of controllersOf(render)) {
      expect(ALLOWED_PRIORITY_CLASSES).toContain(podOf(o).spec.priorityClassName);
    }
  });

  it("dns-policy: ClusterFirstWithHostNet wherever hostNetwork is on", () => {
    for (const o of controllersOf(render)) {
      const pod = podOf(o).spec;
      if (pod.hostNetwork) expect(pod.dnsPolicy).toBe("ClusterFirstWithHostNet");
    }
  });

  it("controller-security-context: non-root as deckhouse (64535) or nobody (65534)", () => {
    for (const o of controllersOf(render)) {
      const sc = podOf(o).spec.securityContext ?? {};
      expect(sc.runAsNonRoot).toBe(true);
      expect([
        [64535, 64535],
        [65534, 65534],
      ]).toContainEqual([sc.runAsUser, sc.runAsGroup]);
    }
  });

  it("revision-history-limit: at most 2", () => {
    for (const o of controllersOf(render)) {
      const limit = (o.spec as { revisionHistoryLimit?: number }).revisionHistoryLimit;
      expect([idOf(o), limit !== undefined && limit <= 2]).toEqual([idOf(o), true]);
    }
  });

  it("name-duplicates and env-variables-duplicates: none", () => {
    for (const o of controllersOf(render)) {
      const names = containersOf(o).map(c => c.name);
      expect(new Set(names).size).toBe(names.length);
      for (const c of containersOf(o)) {
        const env = (c.env ?? []).map(e => e.name);
        expect(new Set(env).size).toBe(env.length);
      }
    }
  });

  it("security-context, read-only-root-filesystem, no-new-privileges, seccomp-profile", () => {
    for (const o of controllersOf(render)) {
      for (const c of containersOf(o)) {
        const where = `${idOf(o)}/${c.name}`;
        expect([where, c.securityContext]).toEqual([
          where,
          expect.objectContaining({
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            seccompProfile: { type: "RuntimeDefault" },
          }),
        ]);
      }
    }
  });

  it("host-network-ports: no host network, no host ports", () => {
    for (const o of controllersOf(render)) {
      expect(podOf(o).spec.hostNetwork ?? false).toBe(false);
      for (const c of containersOf(o)) {
        for (const p of c.ports ?? []) expect(p.hostPort).toBeUndefined();
      }
    }
  });

  it("resources: ephemeral storage requested by every container", () => {
    for (const o of controllersOf(render)) {
      for (const c of containersOf(o)) {
        expect([c.name, c.resources?.requests?.["ephemeral-storage"]]).toEqual([
          c.name,
          expect.stringMatching(/^[1-9]\d*(Ki|Mi|Gi)$/),
        ]);
      }
    }
  });

  it("ports: every container port above 1024", () => {
    for (const o of controllersOf(render)) {
      for (const c of containersOf(o)) {
        for (const p of c.ports ?? []) expect(p.containerPort).toBeGreaterThan(1024);
      }
    }
  });

  it("liveness-probe and readiness-probe: exactly one handler each", () => {
    for (const o of controllersOf(render)) {
      for (const c of podOf(o).spec.containers) {
        const where = `${idOf(o)}/${c.name}`;
        expect([where, handlers(c.livenessProbe), handlers(c.readinessProbe)]).toEqual([
          where,
          1,
          1,
        ]);
      }
    }
  });

  it("image-digest and image-pull-policy: the Deckhouse registry, by digest, IfNotPresent", () => {
    for (const o of controllersOf(render)) {
      for (const c of containersOf(o)) {
        const [repository, digest] = c.image.split("@");
        expect(repository).toBe(TEST_REGISTRY);
        expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect([undefined, "IfNotPresent"]).toContain(c.imagePullPolicy);
      }
    }
  });
});
