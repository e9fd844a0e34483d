// The module's own side of the cluster the hook-scaling benchmark feeds the hooks: full
// Kubernetes objects, as the API server would return them, for a given number of SWHs - each with
// its child Service, pods spread over the nodes and published in the agents' EndpointSlices (one
// per SWH and node, with the per-endpoint reports annotation), every node's agent Lease fresh. One
// in ten SWHs probes PostgreSQL with a credentials Secret (so the Secret-access hook has work), one
// endpoint in ten is failing. The rest of the cluster around them (namespaces, other apps'
// Services, kube-controller-manager's objects) comes from cluster.ts. Pure and deterministic: the
// same scale always gives the same objects.

import {
  ANNOTATION_ENDPOINT_REPORTS,
  LABEL_HERITAGE,
  LABEL_LEASE_COMPONENT,
  LABEL_MANAGED_BY,
  LABEL_MODULE,
  LABEL_NODE_NAME,
  LABEL_SERVICE_NAME,
  LEASE_COMPONENT_VALUE,
  MANAGED_BY_VALUE,
  MODULE_NAME,
  MODULE_NAMESPACE,
  HERITAGE_VALUE,
  SWH_API_VERSION,
  SWH_KIND,
  leaseNameForNode,
  type EndpointReport,
} from "../../api/contract.js";

/** A Kubernetes object as JSON. */
export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
};

/** Size of the generated cluster. */
export interface Scale {
  readonly swhs: number;
  /** Pods selected by each SWH (so pods = swhs * podsPerSwh). */
  readonly podsPerSwh: number;
  readonly nodes: number;
  readonly swhsPerNamespace: number;
}

/** The scales the benchmark measures: 100/1,000/10,000 SWHs with 10 pods each over 5 nodes. */
export function scales(quick: boolean): Scale[] {
  const sizes = quick ? [100, 1_000] : [100, 1_000, 10_000];
  return sizes.map(swhs => ({ swhs, podsPerSwh: 10, nodes: 5, swhsPerNamespace: 10 }));
}

/** Creation time of every generated object. */
export const FIXED_TIME = "2026-01-01T00:00:00Z";

/** Name of the k-th namespace holding SWHs. */
export function swhNamespaceName(k: number): string {
  return `bench-${k}`;
}

/** Number of namespaces holding SWHs at `scale`. */
export function swhNamespaceCount(scale: Scale): number {
  return Math.ceil(scale.swhs / scale.swhsPerNamespace);
}

function namespaceOf(i: number, scale: Scale): string {
  return swhNamespaceName(Math.floor(i / scale.swhsPerNamespace));
}

/** Name of node `n`. */
export function nodeName(n: number): string {
  return `node-${n}`;
}

/** Pod address of global pod index `k` (10.0.0.0/8, unique below 16M pods). */
export function podAddress(k: number): string {
  return `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
}

function probe(i: number): Record<string, unknown> {
  if (i % 10 === 0) {
    return {
      mode: "PostgreSQL",
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
      postgreSQL: {
        targetPort: 5432,
        dbName: "app",
        authSecretName: `cred-${i}`,
        query: "select 1",
      },
    };
  }
  return {
    mode: "HTTP",
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
    http: { targetPort: 8080, path: "/healthz", method: "GET", scheme: "HTTP" },
  };
}

/** SWH number `i`. */
export function swh(i: number, scale: Scale): KubeObject {
  return {
    apiVersion: SWH_API_VERSION,
    kind: SWH_KIND,
    metadata: {
      name: `svc-${i}`,
      namespace: namespaceOf(i, scale),
      uid: `swh-uid-${i}`,
      generation: 1,
      resourceVersion: String(1000 + i),
      creationTimestamp: FIXED_TIME,
      labels: { app: `svc-${i}` },
    },
    spec: {
      type: "ClusterIP",
      ports: [{ name: "main", protocol: "TCP", port: 80, targetPort: i % 10 === 0 ? 5432 : 8080 }],
      selector: { app: `svc-${i}` },
      sessionAffinity: "None",
      healthcheck: { initialDelaySeconds: 10, periodSeconds: 10, probes: [probe(i)] },
    },
  };
}

/** The child Service of SWH `i`, as the child-service hook creates it. */
export function childService(i: number, scale: Scale): KubeObject {
  const owner = swh(i, scale);
  const clusterIP = `10.96.${(i >> 8) & 255}.${i & 255}`;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: owner.metadata.name,
      namespace: owner.metadata.namespace,
      uid: `svc-uid-${i}`,
      creationTimestamp: FIXED_TIME,
      labels: { app: `svc-${i}` },
      ownerReferences: [
        {
          apiVersion: SWH_API_VERSION,
          kind: SWH_KIND,
          name: owner.metadata.name,
          uid: owner.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      type: "ClusterIP",
      clusterIP,
      clusterIPs: [clusterIP],
      ipFamilies: ["IPv4"],
      ipFamilyPolicy: "SingleStack",
      ports: (owner.spec as { ports: unknown[] }).ports,
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
    },
    status: { loadBalancer: {} },
  };
}

/** One pod of an SWH as its agent sees it. */
export interface Endpoint {
  readonly pod: string;
  readonly address: string;
  readonly ready: boolean;
  readonly port: number;
}

/** The pods of SWH `i` by node number. */
export function endpointsOf(i: number, scale: Scale): Map<number, Endpoint[]> {
  const byNode = new Map<number, Endpoint[]>();
  for (let p = 0; p < scale.podsPerSwh; p++) {
    const k = i * scale.podsPerSwh + p;
    const node = (i + p) % scale.nodes;
    const list = byNode.get(node) ?? [];
    list.push({
      pod: `svc-${i}-${p}`,
      address: podAddress(k),
      ready: k % 10 !== 3,
      port: i % 10 === 0 ? 5432 : 8080,
    });
    byNode.set(node, list);
  }
  return byNode;
}

function report(e: Endpoint, mode: string): EndpointReport {
  return {
    pod: e.pod,
    address: e.address,
    ready: e.ready,
    failedProbes: e.ready ? [] : [{ probe: `${mode}:${e.address}:${e.port}`, reason: "HTTP 503" }],
    lastTransitionTime: FIXED_TIME,
  };
}

function slice(owner: KubeObject, node: number, endpoints: readonly Endpoint[]): KubeObject {
  const { name, namespace, uid } = owner.metadata;
  const mode = endpoints[0]?.port === 5432 ? "PostgreSQL" : "HTTP";
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${name}-${nodeName(node)}-ipv4`,
      namespace,
      uid: `slice-uid-${name}-${node}`,
      creationTimestamp: FIXED_TIME,
      labels: {
        [LABEL_SERVICE_NAME]: name,
        [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
        [LABEL_NODE_NAME]: nodeName(node),
        [LABEL_HERITAGE]: HERITAGE_VALUE,
        [LABEL_MODULE]: MODULE_NAME,
      },
      annotations: {
        [ANNOTATION_ENDPOINT_REPORTS]: JSON.stringify(endpoints.map(e => report(e, mode))),
      },
      ownerReferences: [
        {
          apiVersion: SWH_API_VERSION,
          kind: SWH_KIND,
          name,
          uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    addressType: "IPv4",
    endpoints: endpoints.map(e => ({
      addresses: [e.address],
      conditions: { ready: e.ready, serving: e.ready, terminating: false },
      nodeName: nodeName(node),
      targetRef: { kind: "Pod", name: e.pod, namespace, uid: `pod-uid-${e.pod}` },
    })),
    ports: [{ name: "main", protocol: "TCP", port: endpoints[0]?.port ?? 8080 }],
  };
}

function node(n: number): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: nodeName(n),
      uid: `node-uid-${n}`,
      labels: { "kubernetes.io/hostname": nodeName(n) },
    },
    spec: {},
  };
}

function lease(n: number, nowIso: string): KubeObject {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name: leaseNameForNode(nodeName(n)),
      namespace: MODULE_NAMESPACE,
      labels: { [LABEL_LEASE_COMPONENT]: LEASE_COMPONENT_VALUE, [LABEL_NODE_NAME]: nodeName(n) },
    },
    // Hour-long: the runs at 10,000 SWHs take minutes, and fencing must not start meanwhile.
    spec: {
      holderIdentity: nodeName(n),
      leaseDurationSeconds: 3600,
      renewTime: nowIso,
      acquireTime: nowIso,
    },
  };
}

/** The module's objects: Nodes, agent Leases (renewed at `now`), SWHs, children, slices. */
export function swhObjects(scale: Scale, now: Date): KubeObject[] {
  const objects: KubeObject[] = [];
  const nowIso = now.toISOString().replace("Z", "000Z");
  for (let n = 0; n < scale.nodes; n++) objects.push(node(n), lease(n, nowIso));
  for (let i = 0; i < scale.swhs; i++) {
    const owner = swh(i, scale);
    objects.push(owner, childService(i, scale));
    for (const [n, endpoints] of endpointsOf(i, scale)) objects.push(slice(owner, n, endpoints));
  }
  return objects;
}
