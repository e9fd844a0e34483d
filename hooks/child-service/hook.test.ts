// Tests for the child-service hook: snapshots in, operations out. The core property is "writes
// only on change": a child the hook created, after the API server's defaulting (simulated by
// `serverDefaulted`, following the Service registry's documented defaults), plans zero
// operations; every planned patch, once applied, converges to zero operations on the next run.

import { execFileSync } from "node:child_process";
import {
  batchConfigWarnings,
  runHookForTest,
  toShellOperatorConfig,
  validateShellOperatorConfig,
} from "shell-operator-ts-hooks/testing";
import { parse } from "yaml";
import { childServiceHook, SERVICES_BINDING, SWH_BINDING } from "./hook.js";
import { planChildServices, type ChildServiceOperation } from "./plan.js";
import {
  CONTROLLER_SLICE_JQ_FILTER,
  CONTROLLER_SLICES_BINDING,
  filterControllerSlice,
  MIRRORED_SLICES_BINDING,
  type ControllerSliceSnapshot,
} from "../lib/controller-leftovers.js";
import {
  filterTerminatingNamespace,
  NAMESPACE_JQ_FILTER,
  NAMESPACES_BINDING,
  type TerminatingNamespace,
} from "../lib/namespaces.js";
import {
  filterService,
  SERVICE_SPEC_JQ_FILTER,
  type ServiceSnapshot,
} from "../lib/child-service-state.js";
import { filterSwh, SWH_SPEC_JQ_FILTER, type SwhSnapshot } from "../lib/swh.js";

/** Free-form JSON fixtures, edited in place by `edit`. */
type Obj = Record<string, any>;

// ---------------------------------------------------------------------------------------------
// Fixtures

const READ_UID = "a1b2c3d4-0000-4000-8000-000000000001";

/** Seed 000's postgres-read, as stored (namespace and uid added by the API server). */
const SWH_POSTGRES_READ = parse(`
apiVersion: network.deckhouse.io/v1alpha1
kind: ServiceWithHealthchecks
metadata:
  name: postgres-read
  namespace: my-ns
  uid: ${READ_UID}
  generation: 1
  labels: { app: postgres }
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"kind":"ServiceWithHealthchecks"}'
spec:
  ports:
  - port: 5432
    protocol: TCP
    targetPort: 5432
  selector:
    app: postgres
  healthcheck:
    probes:
    - mode: PostgreSQL
      postgreSQL:
        targetPort: 5432
        dbName: postgres
        authSecretName: cred-secret
        query: "SELECT 1"
`) as Obj;

/** The child Service the hook creates for SWH_POSTGRES_READ. */
const POSTGRES_READ_CHILD = {
  apiVersion: "v1",
  kind: "Service",
  metadata: {
    name: "postgres-read",
    namespace: "my-ns",
    labels: { app: "postgres", heritage: "deckhouse" },
    annotations: { "network.deckhouse.io/propagated-labels": "app" },
    ownerReferences: [
      {
        apiVersion: "network.deckhouse.io/v1alpha1",
        kind: "ServiceWithHealthchecks",
        name: "postgres-read",
        uid: READ_UID,
        controller: true,
        blockOwnerDeletion: false,
      },
    ],
  },
  spec: {
    type: "ClusterIP",
    ports: [{ port: 5432, protocol: "TCP", targetPort: 5432 }],
    sessionAffinity: "None",
    internalTrafficPolicy: "Cluster",
    publishNotReadyAddresses: false,
  },
};

/** Seed 000's VM example: web on a named port, NodePort. */
const SWH_VM_WEB = parse(`
apiVersion: network.deckhouse.io/v1alpha1
kind: ServiceWithHealthchecks
metadata:
  name: web
  namespace: vm
  uid: b2c3d4e5-0000-4000-8000-000000000002
  labels: { app: web, vm: vm1 }
  annotations: { example.com/owner: alice }
spec:
  type: NodePort
  ports:
  - { name: http, port: 80, targetPort: http }
  - { name: metrics, port: 9100 }
  selector: { vm.kubevirt.io/name: vm1 }
  healthcheck:
    probes:
    - { mode: HTTP, http: { targetPort: 8080, path: /healthz } }
`) as Obj;

/** A LoadBalancer with every LB field set. */
const SWH_LB = parse(`
apiVersion: network.deckhouse.io/v1alpha1
kind: ServiceWithHealthchecks
metadata:
  name: smtp
  namespace: vm
  uid: c3d4e5f6-0000-4000-8000-000000000003
spec:
  type: LoadBalancer
  ports:
  - { name: smtp, port: 25, targetPort: 2525, appProtocol: smtp }
  selector: { vm.kubevirt.io/name: vm1 }
  externalTrafficPolicy: Local
  loadBalancerIP: 192.0.2.25
  loadBalancerSourceRanges: [10.0.0.0/8]
  loadBalancerClass: example.com/metal
  allocateLoadBalancerNodePorts: false
  ipFamilyPolicy: PreferDualStack
  ipFamilies: [IPv4, IPv6]
  sessionAffinity: ClientIP
  sessionAffinityConfig: { clientIP: { timeoutSeconds: 300 } }
  publishNotReadyAddresses: true
  trafficDistribution: PreferClose
  externalIPs: [198.51.100.7]
  healthcheck:
    probes: [{ mode: TCP, tcp: { targetPort: 2525 } }]
`) as Obj;

/** Headless, fixed cluster IP semantics. */
const SWH_HEADLESS = parse(`
apiVersion: network.deckhouse.io/v1alpha1
kind: ServiceWithHealthchecks
metadata: { name: db, namespace: my-ns, uid: d4e5f6a7-0000-4000-8000-000000000004 }
spec:
  clusterIP: None
  ports: [{ port: 5432 }]
  selector: { app: postgres }
`) as Obj;

/** A ClusterIP SWH pinning its cluster IP. */
const SWH_FIXED_IP = parse(`
apiVersion: network.deckhouse.io/v1alpha1
kind: ServiceWithHealthchecks
metadata: { name: fixed, namespace: my-ns, uid: e5f6a7b8-0000-4000-8000-000000000005 }
spec:
  clusterIP: 10.96.7.7
  clusterIPs: [10.96.7.7]
  ports: [{ port: 443, targetPort: 8443, protocol: TCP }]
`) as Obj;

// ---------------------------------------------------------------------------------------------
// Helpers

/** The run's time (the time of the marks the hook puts on controller leftovers). */
const NOW = new Date("2026-01-01T10:00:00Z");

/** Returns a copy of `obj` with `change` applied to it. */
function edit<T>(obj: T, change: (copy: Obj) => void): T {
  const copy = structuredClone(obj);
  change(copy as Obj);
  return copy;
}

/**
 * What the API server stores for a created Service: allocated cluster IP and nodePorts,
 * defaulted type, families, affinity, traffic policies, port protocol and targetPort; false
 * booleans omitted; a LoadBalancer gets an ingress IP from its controller.
 */
function serverDefaulted(created: Obj, uid = "f0000000-0000-4000-8000-00000000cafe"): Obj {
  const svc = structuredClone(created);
  Object.assign(svc.metadata, {
    uid,
    resourceVersion: "1",
    creationTimestamp: "2026-01-01T00:00:00Z",
  });
  const spec = svc.spec;
  spec.type ??= "ClusterIP";
  spec.clusterIP ??= "10.96.0.10";
  spec.clusterIPs ??= [spec.clusterIP];
  spec.ipFamilies ??= ["IPv4"];
  spec.ipFamilyPolicy ??= "SingleStack";
  spec.sessionAffinity ??= "None";
  if (spec.sessionAffinity === "ClientIP") {
    spec.sessionAffinityConfig ??= { clientIP: { timeoutSeconds: 10800 } };
  }
  spec.internalTrafficPolicy ??= "Cluster";
  const lb = spec.type === "LoadBalancer";
  if (lb) spec.allocateLoadBalancerNodePorts ??= true;
  if (spec.type !== "ClusterIP") spec.externalTrafficPolicy ??= "Cluster";
  if (lb && spec.externalTrafficPolicy === "Local") spec.healthCheckNodePort ??= 32100;
  const allocate = spec.type === "NodePort" || (lb && spec.allocateLoadBalancerNodePorts);
  let next = 30000;
  spec.ports = (spec.ports ?? []).map((p: Obj) => ({
    protocol: "TCP",
    targetPort: p.port,
    ...p,
    ...(allocate && p.nodePort === undefined ? { nodePort: next++ } : {}),
  }));
  if (spec.publishNotReadyAddresses === false) delete spec.publishNotReadyAddresses;
  svc.status = { loadBalancer: lb ? { ingress: [{ ip: "192.0.2.1" }] } : {} };
  return svc;
}

/** RFC 7386 JSON merge patch, as the API server applies MergePatch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Obj =
    typeof target === "object" && target !== null && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function swhSnapshots(objs: readonly Obj[]): SwhSnapshot[] {
  return objs.map(o => {
    const s = filterSwh(o);
    if (s === undefined) throw new Error(`SWH fixture ${o.metadata?.name} is invalid`);
    return s;
  });
}

function serviceSnapshots(objs: readonly Obj[]): ServiceSnapshot[] {
  return objs.map(o => {
    const s = filterService(o);
    if (s === undefined) throw new Error(`Service fixture ${o.metadata?.name} is invalid`);
    return s;
  });
}

/** Plans from raw objects (through the same filters the hook uses). */
function plan(swhs: readonly Obj[], services: readonly Obj[]): readonly ChildServiceOperation[] {
  return planChildServices({ swhs: swhSnapshots(swhs), services: serviceSnapshots(services) }, NOW)
    .operations;
}

/** The child the hook would create for `swh`, as stored by the API server. */
function storedChild(swh: Obj): Obj {
  const [op] = plan([swh], []);
  if (op?.operation !== "CreateIfNotExists") throw new Error("expected a create");
  return serverDefaulted(op.object);
}

/** The child after the API server applied the planned patch (and re-defaulted). */
function patched(child: Obj, op: ChildServiceOperation): Obj {
  if (op.operation !== "MergePatch") throw new Error(`expected MergePatch, got ${op.operation}`);
  const result = mergePatch(child, op.mergePatch) as Obj;
  return serverDefaulted(result, child.metadata.uid);
}

function mergePatchOf(ops: readonly ChildServiceOperation[]): unknown {
  expect(ops).toHaveLength(1);
  const [op] = ops;
  expect(op?.operation).toBe("MergePatch");
  return op?.operation === "MergePatch" ? op.mergePatch : undefined;
}

// ---------------------------------------------------------------------------------------------

describe("planChildServices: creation", () => {
  it("creates the child of seed 000's postgres-read", () => {
    expect(plan([SWH_POSTGRES_READ], [])).toEqual([
      { operation: "CreateIfNotExists", object: POSTGRES_READ_CHILD },
    ]);
  });

  it("keeps a named targetPort as a string and defaults an empty one to the port", () => {
    const [op] = plan([SWH_VM_WEB], []);
    expect(op?.operation === "CreateIfNotExists" && op.object.spec).toMatchObject({
      type: "NodePort",
      externalTrafficPolicy: "Cluster",
      ports: [
        { name: "http", port: 80, protocol: "TCP", targetPort: "http" },
        { name: "metrics", port: 9100, protocol: "TCP", targetPort: 9100 },
      ],
    });
  });

  it("copies every LoadBalancer field", () => {
    const [op] = plan([SWH_LB], []);
    expect(op?.operation === "CreateIfNotExists" && op.object.spec).toEqual({
      type: "LoadBalancer",
      ports: [{ name: "smtp", port: 25, protocol: "TCP", targetPort: 2525, appProtocol: "smtp" }],
      ipFamilies: ["IPv4", "IPv6"],
      ipFamilyPolicy: "PreferDualStack",
      sessionAffinity: "ClientIP",
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 300 } },
      externalTrafficPolicy: "Local",
      internalTrafficPolicy: "Cluster",
      externalIPs: ["198.51.100.7"],
      loadBalancerIP: "192.0.2.25",
      loadBalancerSourceRanges: ["10.0.0.0/8"],
      loadBalancerClass: "example.com/metal",
      allocateLoadBalancerNodePorts: false,
      publishNotReadyAddresses: true,
      trafficDistribution: "PreferClose",
    });
  });

  it("sets clusterIP and clusterIPs only when the SWH asks, and never a selector", () => {
    const [fixed] = plan([SWH_FIXED_IP], []);
    const [auto] = plan([SWH_POSTGRES_READ], []);
    expect(fixed?.operation === "CreateIfNotExists" && fixed.object.spec).toMatchObject({
      clusterIP: "10.96.7.7",
      clusterIPs: ["10.96.7.7"],
    });
    const autoSpec = auto?.operation === "CreateIfNotExists" ? (auto.object.spec as Obj) : {};
    expect(autoSpec).not.toHaveProperty("clusterIP");
    expect(autoSpec).not.toHaveProperty("selector");
  });
});

describe("planChildServices: nothing to write when the child is up to date", () => {
  it.each<[string, Obj]>([
    // seed 000 PostgreSQL reader, ClusterIP
    ["postgres-read", SWH_POSTGRES_READ],
    // NodePort with a named targetPort: allocated nodePorts are not a difference
    ["NodePort, named targetPort", SWH_VM_WEB],
    // LoadBalancer with every field, Local policy (server-allocated healthCheckNodePort)
    ["LoadBalancer, all fields", SWH_LB],
    // LoadBalancer with defaults: allocateLoadBalancerNodePorts defaulted true, nodePorts allocated
    [
      "LoadBalancer, defaults",
      edit(SWH_LB, s => (s.spec = { type: "LoadBalancer", ports: [{ port: 25 }] })),
    ],
    // ClientIP affinity with the server's default timeout
    [
      "ClientIP default timeout",
      edit(SWH_POSTGRES_READ, s => (s.spec.sessionAffinity = "ClientIP")),
    ],
    // headless
    ["headless", SWH_HEADLESS],
    // pinned cluster IP
    ["fixed cluster IP", SWH_FIXED_IP],
    // no labels or annotations at all
    [
      "no metadata",
      edit(SWH_POSTGRES_READ, s => (s.metadata = { name: "a", namespace: "b", uid: "u" })),
    ],
  ])("%s", (_case, swh) => {
    expect(plan([swh], [storedChild(swh)])).toEqual([]);
  });

  it("ignores keys other controllers put on the child", () => {
    const child = edit(storedChild(SWH_LB), c => {
      c.metadata.annotations = { ...c.metadata.annotations, "cloud.example.com/lb-id": "lb-1" };
      c.metadata.labels = { "cloud.example.com/managed": "true" };
    });
    // the label map lost heritage: exactly that comes back, nothing else
    expect(mergePatchOf(plan([SWH_LB], [child]))).toEqual({
      metadata: { labels: { heritage: "deckhouse" } },
    });
  });
});

describe("planChildServices: updates", () => {
  it.each<[string, Obj, Obj, unknown]>([
    // a port added: the whole list is sent (merge patch replaces lists)
    [
      "port added",
      SWH_POSTGRES_READ,
      edit(SWH_POSTGRES_READ, s => void s.spec.ports.push({ name: "metrics", port: 9187 })),
      {
        spec: {
          ports: [
            { port: 5432, protocol: "TCP", targetPort: 5432 },
            { name: "metrics", port: 9187, protocol: "TCP", targetPort: 9187 },
          ],
        },
      },
    ],
    // type ClusterIP → NodePort: type and external policy; nodePorts are left to the server
    [
      "type to NodePort",
      SWH_POSTGRES_READ,
      edit(SWH_POSTGRES_READ, s => (s.spec.type = "NodePort")),
      { spec: { type: "NodePort", externalTrafficPolicy: "Cluster" } },
    ],
    // type LoadBalancer → ClusterIP: LB-only fields and nodePorts are removed explicitly
    [
      "type to ClusterIP",
      SWH_LB,
      edit(SWH_LB, s => (s.spec.type = "ClusterIP")),
      {
        spec: {
          type: "ClusterIP",
          externalTrafficPolicy: null,
          loadBalancerIP: null,
          loadBalancerSourceRanges: null,
          loadBalancerClass: null,
          allocateLoadBalancerNodePorts: null,
          healthCheckNodePort: null,
        },
      },
    ],
    // NodePort, targetPort changed: the allocated nodePorts are kept in the new list
    [
      "nodePort preserved",
      SWH_VM_WEB,
      edit(SWH_VM_WEB, s => (s.spec.ports[0].targetPort = 8080)),
      {
        spec: {
          ports: [
            { name: "http", port: 80, protocol: "TCP", targetPort: 8080, nodePort: 30000 },
            { name: "metrics", port: 9100, protocol: "TCP", targetPort: 9100, nodePort: 30001 },
          ],
        },
      },
    ],
    // the SWH pins a nodePort: it wins over the allocated one
    [
      "nodePort pinned",
      SWH_VM_WEB,
      edit(SWH_VM_WEB, s => (s.spec.ports[1].nodePort = 31999)),
      {
        spec: {
          ports: [
            { name: "http", port: 80, protocol: "TCP", targetPort: "http", nodePort: 30000 },
            { name: "metrics", port: 9100, protocol: "TCP", targetPort: 9100, nodePort: 31999 },
          ],
        },
      },
    ],
    // LoadBalancer source ranges and IP changed
    [
      "LB fields",
      SWH_LB,
      edit(SWH_LB, s => {
        s.spec.loadBalancerSourceRanges = ["10.0.0.0/8", "192.168.0.0/16"];
        delete s.spec.loadBalancerIP;
      }),
      {
        spec: { loadBalancerIP: null, loadBalancerSourceRanges: ["10.0.0.0/8", "192.168.0.0/16"] },
      },
    ],
    // LB externalTrafficPolicy Local → Cluster: the health check node port goes away
    [
      "LB policy to Cluster",
      SWH_LB,
      edit(SWH_LB, s => (s.spec.externalTrafficPolicy = "Cluster")),
      { spec: { externalTrafficPolicy: "Cluster", healthCheckNodePort: null } },
    ],
    // session affinity switched on
    [
      "ClientIP",
      SWH_POSTGRES_READ,
      edit(SWH_POSTGRES_READ, s => (s.spec.sessionAffinity = "ClientIP")),
      {
        spec: {
          sessionAffinity: "ClientIP",
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
        },
      },
    ],
    // session affinity switched off: the config must go too
    [
      "affinity off",
      SWH_LB,
      edit(SWH_LB, s => {
        delete s.spec.sessionAffinity;
        delete s.spec.sessionAffinityConfig;
      }),
      { spec: { sessionAffinity: "None", sessionAffinityConfig: null } },
    ],
    // publishNotReadyAddresses and internalTrafficPolicy set
    [
      "flags",
      SWH_POSTGRES_READ,
      edit(SWH_POSTGRES_READ, s => {
        s.spec.publishNotReadyAddresses = true;
        s.spec.internalTrafficPolicy = "Local";
      }),
      { spec: { publishNotReadyAddresses: true, internalTrafficPolicy: "Local" } },
    ],
    // a label added to the SWH: added and recorded
    [
      "label added",
      SWH_POSTGRES_READ,
      edit(SWH_POSTGRES_READ, s => (s.metadata.labels.role = "read")),
      {
        metadata: {
          labels: { role: "read" },
          annotations: { "network.deckhouse.io/propagated-labels": "app,role" },
        },
      },
    ],
    // a label removed from the SWH: removed from the child with null
    [
      "label removed",
      SWH_VM_WEB,
      edit(SWH_VM_WEB, s => delete s.metadata.labels.vm),
      {
        metadata: {
          labels: { vm: null },
          annotations: { "network.deckhouse.io/propagated-labels": "app" },
        },
      },
    ],
    // the only annotation removed: it and its bookkeeping go
    [
      "annotation removed",
      SWH_VM_WEB,
      edit(SWH_VM_WEB, s => (s.metadata.annotations = {})),
      {
        metadata: {
          annotations: {
            "example.com/owner": null,
            "network.deckhouse.io/propagated-annotations": null,
          },
        },
      },
    ],
  ])("%s", (_case, original, changed, expected) => {
    const child = storedChild(original);
    const ops = plan([changed], [child]);
    expect(mergePatchOf(ops)).toEqual(expected);
    // applying the patch converges: the next run writes nothing
    expect(plan([changed], [patched(child, ops[0]!)])).toEqual([]);
  });

  it("removes a selector someone added to the child", () => {
    const child = edit(
      storedChild(SWH_POSTGRES_READ),
      c => (c.spec.selector = { app: "postgres" }),
    );
    expect(mergePatchOf(plan([SWH_POSTGRES_READ], [child]))).toEqual({ spec: { selector: null } });
  });

  it("patches by name and namespace, tolerating a child deleted meanwhile", () => {
    const child = storedChild(SWH_POSTGRES_READ);
    const changed = edit(SWH_POSTGRES_READ, s => (s.spec.type = "NodePort"));
    expect(plan([changed], [child])[0]).toMatchObject({
      operation: "MergePatch",
      apiVersion: "v1",
      kind: "Service",
      namespace: "my-ns",
      name: "postgres-read",
      ignoreMissingObject: true,
    });
  });
});

/** A user's plain Service of the same name as SWH_POSTGRES_READ. */
const PLAIN_SERVICE = parse(`
apiVersion: v1
kind: Service
metadata:
  name: postgres-read
  namespace: my-ns
  uid: 99999999-0000-4000-8000-000000000009
  labels: { app: postgres, owner-team: db }
  ownerReferences:
  - { apiVersion: v1, kind: ConfigMap, name: inventory, uid: 88888888-0000-4000-8000-000000000008 }
spec:
  type: ClusterIP
  clusterIP: 10.96.3.3
  clusterIPs: [10.96.3.3]
  selector: { app: postgres }
  ports: [{ port: 5432, protocol: TCP, targetPort: 5432 }]
  sessionAffinity: None
  ipFamilies: [IPv4]
  ipFamilyPolicy: SingleStack
  internalTrafficPolicy: Cluster
`) as Obj;

describe("planChildServices: left alone", () => {
  const foreign = edit(PLAIN_SERVICE, s => {
    s.metadata.ownerReferences = [
      { apiVersion: "apps/v1", kind: "Deployment", name: "x", uid: "7", controller: true },
    ];
  });

  it.each<[string, Obj[], Obj[]]>([
    // a Service controlled by something else
    ["foreign controller", [SWH_POSTGRES_READ], [foreign]],
    // a plain Service without the adoption annotation
    ["plain Service", [SWH_POSTGRES_READ], [PLAIN_SERVICE]],
    // foreign even though it carries the annotation: a controlled object is never adopted
    [
      "annotated but controlled",
      [SWH_POSTGRES_READ],
      [
        edit(
          foreign,
          s => (s.metadata.annotations = { "network.deckhouse.io/allow-adoption": "true" }),
        ),
      ],
    ],
    // our child, but the SWH now asks for another cluster IP (immutable)
    [
      "clusterIP immutable",
      [edit(SWH_FIXED_IP, s => (s.spec.clusterIP = "10.96.8.8"))],
      [storedChild(SWH_FIXED_IP)],
    ],
    // an SWH being deleted, with its child: the garbage collector's job
    [
      "SWH deleting, child exists",
      [edit(SWH_POSTGRES_READ, s => (s.metadata.deletionTimestamp = "2026-01-01T00:00:00Z"))],
      [edit(storedChild(SWH_POSTGRES_READ), c => (c.spec.type = "NodePort"))],
    ],
    // an SWH being deleted, child already gone: not recreated
    [
      "SWH deleting, no child",
      [edit(SWH_POSTGRES_READ, s => (s.metadata.deletionTimestamp = "2026-01-01T00:00:00Z"))],
      [],
    ],
    // our child being deleted: let it go, the next run recreates it
    [
      "child deleting",
      [edit(SWH_POSTGRES_READ, s => (s.spec.type = "NodePort"))],
      [
        edit(
          storedChild(SWH_POSTGRES_READ),
          c => (c.metadata.deletionTimestamp = "2026-01-01T00:00:00Z"),
        ),
      ],
    ],
  ])("%s", (_case, swhs, services) => {
    expect(plan(swhs, services)).toEqual([]);
  });

  it("skips an SWH the API server would reject, and says why", () => {
    const noPorts = edit(SWH_POSTGRES_READ, s => (s.spec.ports = []));
    const result = planChildServices({ swhs: swhSnapshots([noPorts]), services: [] }, NOW);
    expect(result.operations).toEqual([]);
    expect(result.invalid).toEqual([
      { key: "my-ns/postgres-read", reason: expect.stringContaining("spec.ports is empty") },
    ]);
  });

  it("touches only the Service of the same namespace and name", () => {
    const sameNameElsewhere = edit(PLAIN_SERVICE, s => (s.metadata.namespace = "other"));
    const unrelated = edit(PLAIN_SERVICE, s => (s.metadata.name = "postgres"));
    const ops = plan([SWH_POSTGRES_READ], [sameNameElsewhere, unrelated]);
    expect(ops).toEqual([{ operation: "CreateIfNotExists", object: POSTGRES_READ_CHILD }]);
  });
});

describe("planChildServices: adoption", () => {
  const adoptable = edit(PLAIN_SERVICE, s => {
    s.metadata.annotations = { "network.deckhouse.io/allow-adoption": "true" };
  });

  it("adds the controller reference, keeps other owners and the cluster IP, drops the selector", () => {
    expect(mergePatchOf(plan([SWH_POSTGRES_READ], [adoptable]))).toEqual({
      metadata: {
        labels: { heritage: "deckhouse" },
        annotations: { "network.deckhouse.io/propagated-labels": "app" },
        ownerReferences: [
          PLAIN_SERVICE.metadata.ownerReferences[0],
          POSTGRES_READ_CHILD.metadata.ownerReferences[0],
        ],
      },
      spec: { selector: null },
    });
  });

  it("converges after adoption", () => {
    const ops = plan([SWH_POSTGRES_READ], [adoptable]);
    const adopted = patched(adoptable, ops[0]!);
    expect(plan([SWH_POSTGRES_READ], [adopted])).toEqual([]);
  });

  it("does not adopt when the SWH asks for another cluster IP", () => {
    const pinned = edit(SWH_POSTGRES_READ, s => (s.spec.clusterIP = "10.96.4.4"));
    expect(plan([pinned], [adoptable])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Namespaces being deleted, and kube-controller-manager's leftovers

const DELETED_AT = "2026-01-01T00:00:00Z";

/** A Namespace; `state` says whether and how its deletion shows. */
function namespaceObj(name: string, state: "Active" | "Terminating" | "DeletionOnly"): Obj {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      uid: `ns-${name}`,
      ...(state === "Active" ? {} : { deletionTimestamp: DELETED_AT }),
    },
    status: { phase: state === "Terminating" ? "Terminating" : "Active" },
  };
}

function namespaceSnapshots(objs: readonly Obj[]): TerminatingNamespace[] {
  return objs.map(filterTerminatingNamespace).filter(n => n !== undefined);
}

/** An EndpointSlice of kube-controller-manager (managed-by `manager`) for Service `service`. */
function controllerSliceObj(
  name: string,
  service: string,
  manager: "endpointslice" | "mirror" | "mirror-of-user-endpoints" | "agent",
  namespace = "my-ns",
): Obj {
  const managedBy = {
    endpointslice: "endpointslice-controller.k8s.io",
    mirror: "endpointslicemirroring-controller.k8s.io",
    "mirror-of-user-endpoints": "endpointslicemirroring-controller.k8s.io",
    agent: "servicewithhealthchecks",
  }[manager];
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      namespace,
      labels: {
        "endpointslice.kubernetes.io/managed-by": managedBy,
        "kubernetes.io/service-name": service,
        ...(manager === "mirror"
          ? { "endpoints.kubernetes.io/managed-by": "endpoint-controller" }
          : {}),
      },
    },
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.244.1.5"], conditions: { ready: true } }],
  };
}

function controllerSliceSnapshots(objs: readonly Obj[]): ControllerSliceSnapshot[] {
  return objs.map(filterControllerSlice).filter(s => s !== undefined);
}

interface World {
  swhs?: Obj[];
  services?: Obj[];
  namespaces?: Obj[];
  slices?: Obj[];
}

/** Plans from raw objects of every binding. */
function planWorld(world: World): ReturnType<typeof planChildServices> {
  return planChildServices(
    {
      swhs: swhSnapshots(world.swhs ?? []),
      services: serviceSnapshots(world.services ?? []),
      terminatingNamespaces: namespaceSnapshots(world.namespaces ?? []),
      controllerSlices: controllerSliceSnapshots(world.slices ?? []),
    },
    NOW,
  );
}

/** The mark the hook puts on a leftover of postgres-read (for the GC hook to delete). */
function markOf(kind: "Endpoints" | "EndpointSlice", name: string, namespace = "my-ns"): Obj {
  return {
    operation: "MergePatch",
    apiVersion: kind === "Endpoints" ? "v1" : "discovery.k8s.io/v1",
    kind,
    namespace,
    name,
    mergePatch: {
      metadata: {
        labels: { "network.deckhouse.io/replaced-by": READ_UID },
        annotations: {
          "network.deckhouse.io/replaced-at": "2026-01-01T10:00:00Z",
          // The fixture's probes settle within a minute: the shortest grace.
          "network.deckhouse.io/replaced-grace-seconds": "120",
        },
      },
    },
    ignoreMissingObject: true,
  };
}

/** `slice` as it is once marked for postgres-read. */
function markedSlice(slice: Obj): Obj {
  return edit(slice, s => (s.metadata.labels["network.deckhouse.io/replaced-by"] = READ_UID));
}

/** PLAIN_SERVICE after the hook adopted it: our controller reference, no selector. */
function adoptedService(): Obj {
  const adoptable = edit(PLAIN_SERVICE, s => {
    s.metadata.annotations = { "network.deckhouse.io/allow-adoption": "true" };
  });
  const [op] = plan([SWH_POSTGRES_READ], [adoptable]);
  return patched(adoptable, op!);
}

describe("planChildServices: namespaces being deleted", () => {
  const changed = edit(SWH_POSTGRES_READ, s => (s.spec.type = "NodePort"));

  it.each<[string, World, unknown[], string[]]>([
    // the reported bug: the namespace controller deleted the child, the SWH is still listed
    [
      "no child, namespace Terminating: not recreated",
      { swhs: [SWH_POSTGRES_READ], namespaces: [namespaceObj("my-ns", "Terminating")] },
      [],
      ["my-ns/postgres-read"],
    ],
    [
      "no child, deletion timestamp seen before the phase: not recreated",
      { swhs: [SWH_POSTGRES_READ], namespaces: [namespaceObj("my-ns", "DeletionOnly")] },
      [],
      ["my-ns/postgres-read"],
    ],
    [
      "a child that differs: not patched either",
      {
        swhs: [changed],
        services: [storedChild(SWH_POSTGRES_READ)],
        namespaces: [namespaceObj("my-ns", "Terminating")],
      },
      [],
      ["my-ns/postgres-read"],
    ],
    [
      "leftovers of an adopted child: not deleted (the namespace takes them)",
      {
        swhs: [SWH_POSTGRES_READ],
        services: [adoptedService()],
        namespaces: [namespaceObj("my-ns", "Terminating")],
        slices: [controllerSliceObj("postgres-read-abc", "postgres-read", "endpointslice")],
      },
      [],
      ["my-ns/postgres-read"],
    ],
    [
      "an active namespace: created",
      { swhs: [SWH_POSTGRES_READ], namespaces: [namespaceObj("my-ns", "Active")] },
      [{ operation: "CreateIfNotExists", object: POSTGRES_READ_CHILD }],
      [],
    ],
    [
      "another namespace being deleted: created",
      { swhs: [SWH_POSTGRES_READ], namespaces: [namespaceObj("other", "Terminating")] },
      [{ operation: "CreateIfNotExists", object: POSTGRES_READ_CHILD }],
      [],
    ],
    [
      "the SWH itself being deleted, namespace active: nothing, and not reported as terminating",
      {
        swhs: [edit(SWH_POSTGRES_READ, s => (s.metadata.deletionTimestamp = DELETED_AT))],
        namespaces: [namespaceObj("my-ns", "Active")],
      },
      [],
      [],
    ],
    [
      "one SWH in a namespace being deleted, one elsewhere: only the other is written",
      {
        swhs: [SWH_POSTGRES_READ, SWH_VM_WEB],
        namespaces: [namespaceObj("my-ns", "Terminating"), namespaceObj("vm", "Active")],
      },
      [expect.objectContaining({ operation: "CreateIfNotExists" })],
      ["my-ns/postgres-read"],
    ],
  ])("%s", (_case, world, operations, terminating) => {
    const result = planWorld(world);
    expect(result.operations).toEqual(operations);
    expect(result.terminating).toEqual(terminating);
  });
});

describe("planChildServices: kube-controller-manager leftovers", () => {
  const adoptable = edit(PLAIN_SERVICE, s => {
    s.metadata.annotations = { "network.deckhouse.io/allow-adoption": "true" };
  });
  const controllerSlice = controllerSliceObj(
    "postgres-read-bd7vg",
    "postgres-read",
    "endpointslice",
  );
  const mirror = controllerSliceObj("postgres-read-447fr", "postgres-read", "mirror");

  it.each<[string, World, unknown[]]>([
    [
      "adopted child: the controller's slice is marked",
      { swhs: [SWH_POSTGRES_READ], services: [adoptedService()], slices: [controllerSlice] },
      [markOf("EndpointSlice", "postgres-read-bd7vg")],
    ],
    // the mirroring controller rewrites its mirror from the Endpoints: the Endpoints is marked
    [
      "adopted child with a mirrored leftover Endpoints: the Endpoints and the controller's slice",
      {
        swhs: [SWH_POSTGRES_READ],
        services: [adoptedService()],
        slices: [controllerSlice, mirror],
      },
      [markOf("Endpoints", "postgres-read"), markOf("EndpointSlice", "postgres-read-bd7vg")],
    ],
    [
      "everything marked already: nothing to write",
      {
        swhs: [SWH_POSTGRES_READ],
        services: [adoptedService()],
        slices: [markedSlice(controllerSlice), markedSlice(mirror)],
      },
      [],
    ],
    [
      "a child we created (never had a selector): a controller slice of its name is stale too",
      {
        swhs: [SWH_POSTGRES_READ],
        services: [storedChild(SWH_POSTGRES_READ)],
        slices: [controllerSlice],
      },
      [markOf("EndpointSlice", "postgres-read-bd7vg")],
    ],
    [
      "adopted child, the mirror of a user's own Endpoints: left alone",
      {
        swhs: [SWH_POSTGRES_READ],
        services: [adoptedService()],
        slices: [
          controllerSliceObj("postgres-read-u", "postgres-read", "mirror-of-user-endpoints"),
        ],
      },
      [],
    ],
    [
      "adopted child, the agent's slice: left alone",
      {
        swhs: [SWH_POSTGRES_READ],
        services: [adoptedService()],
        slices: [controllerSliceObj("postgres-read-node-1", "postgres-read", "agent")],
      },
      [],
    ],
    [
      "not adopted yet (selector still there): only the adoption patch, the slices stay",
      { swhs: [SWH_POSTGRES_READ], services: [adoptable], slices: [controllerSlice, mirror] },
      [expect.objectContaining({ operation: "MergePatch", name: "postgres-read" })],
    ],
    [
      "our child with a selector someone put back: the selector goes, the slices wait",
      {
        swhs: [SWH_POSTGRES_READ],
        services: [edit(adoptedService(), s => (s.spec.selector = { app: "postgres" }))],
        slices: [controllerSlice],
      },
      [
        expect.objectContaining({
          operation: "MergePatch",
          mergePatch: { spec: { selector: null } },
        }),
      ],
    ],
    [
      "a foreign Service of the SWH's name (conflict): its slices are its controller's",
      { swhs: [SWH_POSTGRES_READ], services: [PLAIN_SERVICE], slices: [controllerSlice, mirror] },
      [],
    ],
    [
      "our child being deleted: left to the garbage collector",
      {
        swhs: [SWH_POSTGRES_READ],
        services: [edit(adoptedService(), s => (s.metadata.deletionTimestamp = DELETED_AT))],
        slices: [controllerSlice],
      },
      [],
    ],
    [
      "the SWH being deleted: nothing",
      {
        swhs: [edit(SWH_POSTGRES_READ, s => (s.metadata.deletionTimestamp = DELETED_AT))],
        services: [adoptedService()],
        slices: [controllerSlice],
      },
      [],
    ],
    [
      "slices of other Services, or of the same name in another namespace: left alone",
      {
        swhs: [SWH_POSTGRES_READ],
        services: [adoptedService()],
        slices: [
          controllerSliceObj("postgres-abc", "postgres", "endpointslice"),
          controllerSliceObj("postgres-read-abc", "postgres-read", "endpointslice", "other"),
          controllerSliceObj("postgres-read-m", "postgres-read", "mirror", "other"),
        ],
      },
      [],
    ],
    [
      "an adopted child without leftovers: nothing to write",
      { swhs: [SWH_POSTGRES_READ], services: [adoptedService()], slices: [] },
      [],
    ],
  ])("%s", (_case, world, operations) => {
    expect(planWorld(world).operations).toEqual(operations);
  });

  it("adopts, then marks the leftovers, then writes nothing", () => {
    const slices = [controllerSlice, mirror];
    // run 1: the adoption patch only (the controller still manages the slices)
    const first = planWorld({ swhs: [SWH_POSTGRES_READ], services: [adoptable], slices });
    expect(first.operations).toEqual([
      expect.objectContaining({ operation: "MergePatch", kind: "Service" }),
    ]);
    // run 2 (woken by the Service event): the marks
    const adopted = patched(adoptable, first.operations[0]!);
    const second = planWorld({ swhs: [SWH_POSTGRES_READ], services: [adopted], slices });
    expect(second.operations).toEqual([
      markOf("Endpoints", "postgres-read"),
      markOf("EndpointSlice", "postgres-read-bd7vg"),
    ]);
    // run 3: marked (the mirror took the Endpoints' mark): nothing until the GC hook deletes them
    const third = planWorld({
      swhs: [SWH_POSTGRES_READ],
      services: [adopted],
      slices: slices.map(markedSlice),
    });
    expect(third.operations).toEqual([]);
  });

  it("writes child patches before marks", () => {
    const changed = edit(SWH_POSTGRES_READ, s => (s.spec.publishNotReadyAddresses = true));
    const ops = planWorld({
      swhs: [changed],
      services: [adoptedService()],
      slices: [controllerSlice],
    }).operations;
    expect(ops.map(op => op.operation === "MergePatch" && op.kind)).toEqual([
      "Service",
      "EndpointSlice",
    ]);
  });
});

describe("planChildServices: scale", () => {
  /** n SWHs over n/10 namespaces, their children, and 9n unrelated Services. */
  function cluster(n: number): { swhs: Obj[]; children: Obj[]; unrelated: Obj[] } {
    const swhs: Obj[] = [];
    const children: Obj[] = [];
    const unrelated: Obj[] = [];
    for (let i = 0; i < n; i++) {
      const swh = edit(i % 2 === 0 ? SWH_POSTGRES_READ : SWH_VM_WEB, s => {
        s.metadata.name = `swh-${i}`;
        s.metadata.namespace = `ns-${i % (n / 10)}`;
        s.metadata.uid = `uid-${i}`;
      });
      swhs.push(swh);
      children.push(storedChild(swh));
      for (let j = 0; j < 9; j++) {
        unrelated.push(edit(PLAIN_SERVICE, s => (s.metadata.name = `svc-${i}-${j}`)));
      }
    }
    return { swhs, children, unrelated };
  }

  const big = cluster(1000);

  it("creates 1,000 children among 9,000 unrelated Services", () => {
    const ops = plan(big.swhs, big.unrelated);
    expect(ops).toHaveLength(1000);
    expect(ops.every(op => op.operation === "CreateIfNotExists")).toBe(true);
  });

  it("writes nothing for 1,000 up-to-date children", () => {
    expect(plan(big.swhs, [...big.children, ...big.unrelated])).toEqual([]);
  });

  it("writes once when one of 1,000 SWHs changes", () => {
    const swhs = big.swhs.slice();
    swhs[500] = edit(swhs[500]!, s => (s.spec.publishNotReadyAddresses = true));
    const ops = plan(swhs, [...big.children, ...big.unrelated]);
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({ name: "swh-500", operation: "MergePatch" });
  });

  it("grows linearly: operations scale with SWHs, not with SWHs × Services", () => {
    const small = cluster(100);
    const changedSmall = small.swhs.map(s =>
      edit(s, c => (c.spec.publishNotReadyAddresses = true)),
    );
    const changedBig = big.swhs.map(s => edit(s, c => (c.spec.publishNotReadyAddresses = true)));
    const smallOps = plan(changedSmall, [...small.children, ...small.unrelated]);
    const bigOps = plan(changedBig, [...big.children, ...big.unrelated]);
    expect(smallOps).toHaveLength(100);
    expect(bigOps).toHaveLength(1000);
  });
});

describe("childServiceHook", () => {
  /** What the operator delivers for a binding: the jq program's output on the object. */
  function jq(program: string, input: unknown): unknown {
    return JSON.parse(
      execFileSync("jq", ["-c", program], { input: JSON.stringify(input) }).toString(),
    );
  }

  it("runs end to end on jq-filtered snapshots", async () => {
    const child = storedChild(SWH_VM_WEB);
    const changedWeb = edit(SWH_VM_WEB, s => (s.spec.type = "ClusterIP"));
    const result = await runHookForTest(childServiceHook, {
      snapshots: {
        [SWH_BINDING]: [SWH_POSTGRES_READ, changedWeb].map(o => jq(SWH_SPEC_JQ_FILTER, o)),
        [SERVICES_BINDING]: [child, PLAIN_SERVICE, foreignNamespaceService()].map(o =>
          jq(SERVICE_SPEC_JQ_FILTER, o),
        ),
      },
    });
    // postgres-read collides with the plain Service: untouched; web: type back to ClusterIP
    expect(result.operations).toEqual([
      {
        operation: "MergePatch",
        apiVersion: "v1",
        kind: "Service",
        namespace: "vm",
        name: "web",
        mergePatch: {
          spec: {
            type: "ClusterIP",
            ports: [
              { name: "http", port: 80, protocol: "TCP", targetPort: "http" },
              { name: "metrics", port: 9100, protocol: "TCP", targetPort: 9100 },
            ],
            externalTrafficPolicy: null,
          },
        },
        ignoreMissingObject: true,
      },
    ]);
    expect(result.logs.some(l => l.msg === "child Services to write")).toBe(true);
  });

  it("creates through CreateIfNotExists and logs rejected specs", async () => {
    const noPorts = edit(SWH_VM_WEB, s => (s.spec.ports = []));
    const result = await runHookForTest(childServiceHook, {
      snapshots: { [SWH_BINDING]: [SWH_POSTGRES_READ, noPorts], [SERVICES_BINDING]: [] },
    });
    expect(result.operations).toEqual([
      { operation: "CreateIfNotExists", object: POSTGRES_READ_CHILD },
    ]);
    expect(result.logs).toContainEqual(
      expect.objectContaining({
        level: "warn",
        swh: "vm/web",
        reason: expect.stringContaining("ports"),
      }),
    );
  });

  it("marks controller leftovers and skips namespaces being deleted, from jq output", async () => {
    const adopted = adoptedService();
    const changedVm = edit(SWH_VM_WEB, s => (s.spec.type = "ClusterIP"));
    const result = await runHookForTest(childServiceHook, {
      now: NOW,
      snapshots: {
        [SWH_BINDING]: [SWH_POSTGRES_READ, changedVm].map(o => jq(SWH_SPEC_JQ_FILTER, o)),
        [SERVICES_BINDING]: [adopted, storedChild(SWH_VM_WEB)].map(o =>
          jq(SERVICE_SPEC_JQ_FILTER, o),
        ),
        [NAMESPACES_BINDING]: [
          namespaceObj("my-ns", "Active"),
          namespaceObj("vm", "Terminating"),
        ].map(o => jq(NAMESPACE_JQ_FILTER, o)),
        [CONTROLLER_SLICES_BINDING]: [
          controllerSliceObj("postgres-read-bd7vg", "postgres-read", "endpointslice"),
          controllerSliceObj("web-abc", "web", "endpointslice", "vm"),
        ].map(o => jq(CONTROLLER_SLICE_JQ_FILTER, o)),
        [MIRRORED_SLICES_BINDING]: [
          controllerSliceObj("postgres-read-447fr", "postgres-read", "mirror"),
        ].map(o => jq(CONTROLLER_SLICE_JQ_FILTER, o)),
      },
    });
    // vm is being deleted: web is neither patched nor marked
    expect(result.operations).toEqual([
      markOf("Endpoints", "postgres-read"),
      markOf("EndpointSlice", "postgres-read-bd7vg"),
    ]);
    expect(result.logs).toContainEqual(
      expect.objectContaining({
        level: "info",
        msg: "marking what kube-controller-manager left for selector-less children",
        count: 2,
      }),
    );
  });

  it("has a valid operator config: jq filters everywhere, only SWH, Service and mirror events run it", () => {
    const config = toShellOperatorConfig(childServiceHook);
    expect(validateShellOperatorConfig(config, "addon-operator-module")).toEqual([]);
    expect(batchConfigWarnings([childServiceHook])).toEqual([]);
    expect(config.kubernetes).toEqual([
      expect.objectContaining({
        name: "swh",
        kind: "ServiceWithHealthchecks",
        jqFilter: SWH_SPEC_JQ_FILTER,
      }),
      expect.objectContaining({
        name: "services",
        kind: "Service",
        jqFilter: SERVICE_SPEC_JQ_FILTER,
      }),
      expect.objectContaining({
        name: "namespaces",
        kind: "Namespace",
        executeHookOnEvent: [],
        jqFilter: NAMESPACE_JQ_FILTER,
      }),
      expect.objectContaining({
        name: "controllerSlices",
        kind: "EndpointSlice",
        labelSelector: {
          matchLabels: {
            "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
          },
        },
        executeHookOnEvent: [],
        jqFilter: CONTROLLER_SLICE_JQ_FILTER,
      }),
      expect.objectContaining({
        name: "mirroredSlices",
        kind: "EndpointSlice",
        labelSelector: {
          matchLabels: {
            "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io",
            "endpoints.kubernetes.io/managed-by": "endpoint-controller",
          },
        },
        jqFilter: CONTROLLER_SLICE_JQ_FILTER,
      }),
    ]);
    const events = (config.kubernetes as Array<{ name: string; executeHookOnEvent?: unknown }>)
      .filter(b => b.executeHookOnEvent === undefined)
      .map(b => b.name);
    expect(events).toEqual(["swh", "services", "mirroredSlices"]);
  });
});

/** A Service in a namespace without SWHs. */
function foreignNamespaceService(): Obj {
  return edit(PLAIN_SERVICE, s => (s.metadata.namespace = "kube-system"));
}
