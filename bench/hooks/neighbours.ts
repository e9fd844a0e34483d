// Other apps' Services around the SWHs in the hook-scaling benchmark's cluster, each with the
// EndpointSlice kube-controller-manager's endpointslice controller keeps for it. The hooks never
// act on them, but they are in their input: the child-service and status hooks bind every Service
// cluster-wide, and the child-service hook binds every slice of the endpointslice controller (the
// leftovers of an adoption are found among them). Leaving them out would measure those bindings
// on a cluster that holds nothing but SWHs.
//
// How many: one Service per pod of the SWHs (SERVICES_PER_SWH_POD), so 10 per SWH: 1,000, 10,000
// and 100,000 Services at 100, 1,000 and 10,000 SWHs. 10,000 Services at 1,000 SWHs is the size
// the child-service hook's cluster-wide bindings were sized against before, and the heavy end of
// real clusters (one Service per one to ten pods is common): the SWHs are a tenth of the
// Services, so the cluster-wide bindings carry ten times the module's own objects. Each Service
// has two ready backend pods (the usual replica count) in one controller slice, 50 Services per
// namespace. Pure and deterministic.

import { FIXED_TIME, nodeName, type KubeObject, type Scale } from "./objects.js";
import { controllerSlice, type Backend, type ServiceRef } from "./controller-objects.js";

/** Other apps' Services per pod selected by the SWHs (see the header for why one). */
export const SERVICES_PER_SWH_POD = 1;
/** Backend pods of each other app's Service. */
const BACKENDS_PER_SERVICE = 2;
/** Other apps' Services per namespace. */
const SERVICES_PER_NAMESPACE = 50;
const PORT = { name: "http", port: 8080 };

/** Number of other apps' Services at `scale`. */
export function neighbourCount(scale: Scale): number {
  return scale.swhs * scale.podsPerSwh * SERVICES_PER_SWH_POD;
}

/** Names of the other apps' namespaces at `scale`. */
export function appNamespaceNames(scale: Scale): string[] {
  const count = Math.ceil(neighbourCount(scale) / SERVICES_PER_NAMESPACE);
  return Array.from({ length: count }, (_, m) => `app-${m}`);
}

/** Address of backend `k` of the other apps: 10.128.0.0/9, apart from the SWHs' pods. */
function backendAddress(k: number): string {
  return `10.${128 + ((k >> 16) & 127)}.${(k >> 8) & 255}.${k & 255}`;
}

function serviceRef(j: number): ServiceRef {
  const name = `app-${j}-web`;
  return {
    name,
    namespace: `app-${Math.floor(j / SERVICES_PER_NAMESPACE)}`,
    uid: `app-svc-uid-${j}`,
    labels: { app: name, "app.kubernetes.io/managed-by": "Helm" },
  };
}

/** Other app `j`'s Service, with a selector, as a Helm chart deploys it. */
function service(ref: ServiceRef, j: number): KubeObject {
  const clusterIP = `10.${97 + ((j >> 16) & 31)}.${(j >> 8) & 255}.${j & 255}`;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      uid: ref.uid,
      resourceVersion: String(500_000 + j),
      creationTimestamp: FIXED_TIME,
      labels: ref.labels,
      annotations: {
        "meta.helm.sh/release-name": ref.name,
        "meta.helm.sh/release-namespace": ref.namespace,
      },
    },
    spec: {
      type: "ClusterIP",
      clusterIP,
      clusterIPs: [clusterIP],
      ipFamilies: ["IPv4"],
      ipFamilyPolicy: "SingleStack",
      ports: [{ name: PORT.name, protocol: "TCP", port: 80, targetPort: PORT.port }],
      selector: { app: ref.name },
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
    },
    status: { loadBalancer: {} },
  };
}

function backends(j: number, nodes: number): Backend[] {
  return Array.from({ length: BACKENDS_PER_SERVICE }, (_, b) => {
    const k = j * BACKENDS_PER_SERVICE + b;
    return {
      pod: `app-${j}-web-${b}`,
      address: backendAddress(k),
      node: nodeName(k % nodes),
      ready: true,
    };
  });
}

/** Every other app's Service at `scale`, each followed by its controller slice. */
export function neighbours(scale: Scale): KubeObject[] {
  const out: KubeObject[] = [];
  for (let j = 0; j < neighbourCount(scale); j++) {
    const ref = serviceRef(j);
    out.push(service(ref, j), controllerSlice(ref, backends(j, scale.nodes), PORT));
  }
  return out;
}
