// Tests for the Service snapshot (TS filter, jq programs through the real jq) and for
// classifyChildService, the rule both the child-service and the status hooks rely on.

import { execFileSync } from "node:child_process";
import { parse } from "yaml";
import {
  classifyChildService,
  controllerUid,
  filterService,
  immutableFieldChanges,
  isAdoptable,
  SERVICE_JQ_FILTER,
  SERVICE_SPEC_JQ_FILTER,
  type ServiceSnapshot,
} from "./child-service-state.js";
import { filterSwh, type SwhSnapshot } from "./swh.js";

function jq(program: string, input: unknown): unknown {
  return JSON.parse(
    execFileSync("jq", ["-c", program], { input: JSON.stringify(input) }).toString(),
  );
}

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error("fixture did not pass its filter");
  return value;
}

const SWH_UID = "5e0d5c1e-0000-4000-8000-000000000001";

/** A LoadBalancer child Service as the API server returns it. */
const CHILD_SERVICE = parse(`
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: vm
  uid: 7a7a7a7a-0000-4000-8000-000000000002
  resourceVersion: "99"
  labels: { heritage: deckhouse, app: web }
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: "{}"
    network.deckhouse.io/propagated-labels: app
  ownerReferences:
  - apiVersion: network.deckhouse.io/v1alpha1
    kind: ServiceWithHealthchecks
    name: web
    uid: ${SWH_UID}
    controller: true
    blockOwnerDeletion: false
  managedFields: [{ manager: swh-hooks }]
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.20
  clusterIPs: [10.96.0.20]
  ipFamilies: [IPv4]
  ipFamilyPolicy: SingleStack
  ports:
  - { name: http, port: 80, protocol: TCP, targetPort: 8080, nodePort: 30080 }
  sessionAffinity: None
  externalTrafficPolicy: Cluster
  internalTrafficPolicy: Cluster
  allocateLoadBalancerNodePorts: true
status:
  loadBalancer:
    ingress: [{ ip: 192.0.2.10, ipMode: VIP }]
`) as Record<string, unknown>;

const CHILD_SNAPSHOT: ServiceSnapshot = {
  name: "web",
  namespace: "vm",
  uid: "7a7a7a7a-0000-4000-8000-000000000002",
  labels: { heritage: "deckhouse", app: "web" },
  annotations: { "network.deckhouse.io/propagated-labels": "app" },
  ownerReferences: [
    {
      apiVersion: "network.deckhouse.io/v1alpha1",
      kind: "ServiceWithHealthchecks",
      name: "web",
      uid: SWH_UID,
      controller: true,
      blockOwnerDeletion: false,
    },
  ],
  spec: {
    type: "LoadBalancer",
    clusterIP: "10.96.0.20",
    clusterIPs: ["10.96.0.20"],
    ipFamilies: ["IPv4"],
    ipFamilyPolicy: "SingleStack",
    ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080, nodePort: 30080 }],
    sessionAffinity: "None",
    externalTrafficPolicy: "Cluster",
    internalTrafficPolicy: "Cluster",
    allocateLoadBalancerNodePorts: true,
  },
  loadBalancerIngress: [{ ip: "192.0.2.10", ipMode: "VIP" }],
};

describe("filterService", () => {
  it("keeps what the hooks use", () => {
    expect(filterService(CHILD_SERVICE)).toEqual(CHILD_SNAPSHOT);
  });

  it("gives the same snapshot from SERVICE_JQ_FILTER's output", () => {
    expect(filterService(jq(SERVICE_JQ_FILTER, CHILD_SERVICE))).toEqual(CHILD_SNAPSHOT);
  });

  it("drops only the load balancer status through SERVICE_SPEC_JQ_FILTER", () => {
    expect(filterService(jq(SERVICE_SPEC_JQ_FILTER, CHILD_SERVICE))).toEqual({
      ...CHILD_SNAPSHOT,
      loadBalancerIngress: [],
    });
  });

  describe("a Service that cannot be a child is cut to its identity and controller", () => {
    const meta = CHILD_SERVICE.metadata as Record<string, unknown>;
    const foreign = {
      ...CHILD_SERVICE,
      metadata: {
        ...meta,
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "Deployment", name: "x", uid: "d-1", controller: true },
        ],
      },
    };

    it("keeps identity and owners only, so the snapshot of other apps' Services stays small", () => {
      const out = jq(SERVICE_SPEC_JQ_FILTER, foreign);
      expect(out).toEqual({
        apiVersion: "v1",
        kind: "Service",
        metadata: {
          name: "web",
          namespace: "vm",
          uid: meta.uid,
          deletionTimestamp: null,
          ownerReferences: foreign.metadata.ownerReferences,
        },
      });
      const snapshot = filterService(out)!;
      expect(controllerUid(snapshot)).toBe("d-1");
      expect(isAdoptable(snapshot)).toBe(false);
    });

    it("keeps everything of a Service that asks to be adopted", () => {
      const adoptable = {
        ...CHILD_SERVICE,
        metadata: {
          ...meta,
          ownerReferences: [],
          annotations: { "network.deckhouse.io/allow-adoption": "true" },
        },
      };
      const snapshot = filterService(jq(SERVICE_SPEC_JQ_FILTER, adoptable))!;
      expect(isAdoptable(snapshot)).toBe(true);
      expect(snapshot.spec).toEqual(CHILD_SNAPSHOT.spec);
    });

    it('keeps an annotation other than "true" from unlocking the full snapshot', () => {
      const declined = {
        ...CHILD_SERVICE,
        metadata: {
          ...meta,
          ownerReferences: [],
          annotations: { "network.deckhouse.io/allow-adoption": "false" },
        },
      };
      expect(filterService(jq(SERVICE_SPEC_JQ_FILTER, declined))!.spec).toEqual({});
    });
  });

  it("excludes resourceVersion, managedFields and last-applied from the jq output", () => {
    const text = JSON.stringify(jq(SERVICE_JQ_FILTER, CHILD_SERVICE));
    expect(text).not.toMatch(/resourceVersion|managedFields|last-applied/);
  });

  it("survives jq on a Service with no spec, labels or status", () => {
    const bare = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "a", namespace: "n", uid: "u" },
    };
    const expected = {
      name: "a",
      namespace: "n",
      uid: "u",
      labels: {},
      annotations: {},
      ownerReferences: [],
      spec: {},
      loadBalancerIngress: [],
    };
    expect(filterService(jq(SERVICE_JQ_FILTER, bare))).toEqual(expected);
  });

  it("drops a Service without uid", () => {
    expect(filterService({ metadata: { name: "a", namespace: "n" } })).toBeUndefined();
  });
});

/** Builds an SWH snapshot named vm/web with the given spec. */
function swh(spec: Record<string, unknown>, uid = SWH_UID): SwhSnapshot {
  return must(filterSwh({ metadata: { name: "web", namespace: "vm", uid }, spec }));
}

/** A Service snapshot vm/web with changes to metadata and spec. */
function service(
  meta: Partial<Pick<ServiceSnapshot, "ownerReferences" | "annotations" | "deletionTimestamp">>,
  spec: Record<string, unknown> = {},
): ServiceSnapshot {
  return { ...CHILD_SNAPSHOT, ...meta, spec: { ...CHILD_SNAPSHOT.spec, ...spec } };
}

const FOREIGN_OWNER = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  name: "other",
  uid: "11111111-0000-4000-8000-000000000003",
  controller: true,
};
const ADOPT = { "network.deckhouse.io/allow-adoption": "true" };
const LB_SPEC = { type: "LoadBalancer", ports: [{ port: 80, targetPort: 8080 }] };

describe("classifyChildService", () => {
  it.each<[string, SwhSnapshot, ServiceSnapshot | undefined, string]>([
    // no Service with that name
    ["missing", swh(LB_SPEC), undefined, "Missing"],
    // our controller reference: ready
    ["ours", swh(LB_SPEC), service({}), "Ready"],
    // controlled by another object: conflict
    ["foreign controller", swh(LB_SPEC), service({ ownerReferences: [FOREIGN_OWNER] }), "Conflict"],
    // a plain user Service without the adoption annotation: conflict
    ["plain Service", swh(LB_SPEC), service({ ownerReferences: [], annotations: {} }), "Conflict"],
    // annotation value other than "true": still a conflict
    [
      "adoption not 'true'",
      swh(LB_SPEC),
      service({
        ownerReferences: [],
        annotations: { "network.deckhouse.io/allow-adoption": "yes" },
      }),
      "Conflict",
    ],
    // adoption annotation but another controller: conflict (we never steal a controlled object)
    [
      "adoptable but controlled",
      swh(LB_SPEC),
      service({ ownerReferences: [FOREIGN_OWNER], annotations: ADOPT }),
      "Conflict",
    ],
    // no controller, adoption allowed: about to be adopted, reported as Missing
    ["adoptable", swh(LB_SPEC), service({ ownerReferences: [], annotations: ADOPT }), "Missing"],
    // adoptable, but the SWH wants another cluster IP: cannot be taken over
    [
      "adoptable, clusterIP differs",
      swh({ ...LB_SPEC, clusterIP: "10.96.0.99" }),
      service({ ownerReferences: [], annotations: ADOPT }),
      "ClusterIPImmutable",
    ],
    // a child of a previous SWH with the same name (another uid): conflict
    [
      "other SWH uid",
      swh(LB_SPEC, "22222222-0000-4000-8000-000000000004"),
      service({}),
      "Conflict",
    ],
    // ours, SWH asks for another clusterIP
    [
      "clusterIP differs",
      swh({ ...LB_SPEC, clusterIP: "10.96.0.99" }),
      service({}),
      "ClusterIPImmutable",
    ],
    // ours, SWH asks for the same clusterIP: fine
    ["clusterIP same", swh({ ...LB_SPEC, clusterIP: "10.96.0.20" }), service({}), "Ready"],
    // ours, SWH sets clusterIPs only: its first entry counts
    [
      "clusterIPs differ",
      swh({ ...LB_SPEC, clusterIPs: ["10.96.0.7"] }),
      service({}),
      "ClusterIPImmutable",
    ],
    // ours, SWH wants headless, the child has an IP
    ["headless wanted", swh({ ...LB_SPEC, clusterIP: "None" }), service({}), "ClusterIPImmutable"],
    // ours, primary IP family changes
    [
      "ipFamily differs",
      swh({ ...LB_SPEC, ipFamilies: ["IPv6"] }),
      service({}),
      "ClusterIPImmutable",
    ],
    // ours, adding a second family keeps the primary: fine
    ["dual stack added", swh({ ...LB_SPEC, ipFamilies: ["IPv4", "IPv6"] }), service({}), "Ready"],
    // ours, LoadBalancer stays a LoadBalancer but its class changes
    [
      "loadBalancerClass differs",
      swh({ ...LB_SPEC, loadBalancerClass: "example.com/lb" }),
      service({}),
      "ClusterIPImmutable",
    ],
    // ours, type moves to ClusterIP: the class goes away with the type, allowed
    [
      "class dropped with type",
      swh({ ports: [{ port: 80 }] }),
      service({}, { loadBalancerClass: "x" }),
      "Ready",
    ],
    // ours but being deleted: will be recreated
    ["deleting", swh(LB_SPEC), service({ deletionTimestamp: "2026-01-01T00:00:00Z" }), "Missing"],
  ])("%s", (_case, swhSnapshot, serviceSnapshot, state) => {
    expect(classifyChildService(swhSnapshot, serviceSnapshot).state).toBe(state);
  });

  it("names the Service, the field and the fix in messages", () => {
    const immutable = classifyChildService(
      swh({ ...LB_SPEC, clusterIP: "10.96.0.99" }),
      service({}),
    );
    expect(immutable.message).toContain("vm/web");
    expect(immutable.message).toContain(
      "spec.clusterIP is 10.96.0.20 and cannot change to 10.96.0.99",
    );
    expect(immutable.message).toContain("Delete the Service");
    const conflict = classifyChildService(
      swh(LB_SPEC),
      service({ ownerReferences: [FOREIGN_OWNER] }),
    );
    expect(conflict.message).toContain("is controlled by Deployment other");
    expect(conflict.message).toContain('network.deckhouse.io/allow-adoption="true"');
  });

  it("lists every immutable change", () => {
    const changes = immutableFieldChanges(
      swh({ ...LB_SPEC, clusterIP: "10.96.0.99", ipFamilies: ["IPv6"] }),
      service({}),
    );
    expect(changes.map(c => c.field)).toEqual(["spec.clusterIP", "spec.ipFamilies[0]"]);
  });
});

describe("ownership helpers", () => {
  it("finds the controller uid and adoption", () => {
    expect(controllerUid(CHILD_SNAPSHOT)).toBe(SWH_UID);
    const nonController = { ...FOREIGN_OWNER, controller: false };
    expect(controllerUid(service({ ownerReferences: [nonController] }))).toBeUndefined();
    expect(isAdoptable(service({ ownerReferences: [nonController], annotations: ADOPT }))).toBe(
      true,
    );
  });
});
