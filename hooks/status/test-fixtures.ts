// Fixtures shared by the status hook's tests: full SWH, Service and EndpointSlice objects as the
// API server returns them (the filters and jq programs must cope with the real shape), the
// snapshots the planner reads, and a merge-patch applier that plays the API server's part.

import type { EndpointReport } from "../../api/contract.js";
import type { Condition, ServiceWithHealthchecksStatus } from "../../api/v1alpha1.js";
import { filterEndpointSlice } from "../lib/agent-slices.js";
import { filterService } from "../lib/child-service-state.js";
import { planStatus, type StatusSnapshots } from "./plan.js";
import { filterSwhWithStatus } from "./snapshots.js";

export const NOW = new Date("2024-05-01T10:00:00Z");
export const LATER = new Date("2024-05-01T10:05:00Z");
export const EARLIER_TIME = "2024-05-01T09:00:00Z";

export type Json = Record<string, unknown>;

/** A full SWH `name` in `prod`, with an optional stored status. */
export function rawSwh(
  name: string,
  opts: { uid?: string; status?: Json; type?: string } = {},
): Json {
  return {
    apiVersion: "network.deckhouse.io/v1alpha1",
    kind: "ServiceWithHealthchecks",
    metadata: {
      name,
      namespace: "prod",
      uid: opts.uid ?? `uid-${name}`,
      generation: 3,
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" },
    },
    spec: {
      type: opts.type ?? "ClusterIP",
      selector: { app: name },
      ports: [{ port: 80, targetPort: 8080 }],
      healthcheck: { probes: [{ mode: "HTTP", http: { targetPort: 8080, path: "/healthz" } }] },
    },
    ...(opts.status === undefined ? {} : { status: opts.status }),
  };
}

/** The child Service of `name`, controlled by `ownerUid` (default: the SWH's uid). */
export function rawService(
  name: string,
  opts: { ownerUid?: string | null; type?: string } = {},
): Json {
  const ownerUid = opts.ownerUid === undefined ? `uid-${name}` : opts.ownerUid;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace: "prod",
      uid: `svc-${name}`,
      labels: { heritage: "deckhouse" },
      ownerReferences:
        ownerUid === null
          ? []
          : [
              {
                apiVersion: "network.deckhouse.io/v1alpha1",
                kind: "ServiceWithHealthchecks",
                name,
                uid: ownerUid,
                controller: true,
              },
            ],
    },
    spec: {
      type: opts.type ?? "ClusterIP",
      clusterIP: "10.96.0.10",
      clusterIPs: ["10.96.0.10"],
      ipFamilies: ["IPv4"],
      ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }],
      selector: {},
    },
    status: {
      loadBalancer: opts.type === "LoadBalancer" ? { ingress: [{ ip: "203.0.113.7" }] } : {},
    },
  };
}

export interface Ep {
  pod: string;
  ip: string;
  ready: boolean;
  failures?: Array<{ probe: string; reason: string }>;
}

/** An agent slice of SWH `swh` on `node`, with a report per endpoint. */
export function rawSlice(
  swh: string,
  node: string,
  eps: Ep[],
  extra: { fencedAt?: string; ownerUid?: string; sliceName?: string } = {},
): Json {
  const reports: EndpointReport[] = eps.map(e => ({
    pod: e.pod,
    address: e.ip,
    ready: e.ready,
    failedProbes: e.failures ?? [],
    lastTransitionTime: EARLIER_TIME,
  }));
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: extra.sliceName ?? `${swh}-${node}`,
      namespace: "prod",
      labels: {
        "kubernetes.io/service-name": swh,
        "network.deckhouse.io/node-name": node,
        "endpointslice.kubernetes.io/managed-by": "servicewithhealthchecks",
      },
      annotations: {
        "network.deckhouse.io/endpoint-reports": JSON.stringify(reports),
        ...(extra.fencedAt === undefined
          ? {}
          : { "network.deckhouse.io/fenced-at": extra.fencedAt }),
      },
      ownerReferences: [
        {
          apiVersion: "network.deckhouse.io/v1alpha1",
          kind: "ServiceWithHealthchecks",
          name: swh,
          uid: extra.ownerUid ?? `uid-${swh}`,
          controller: true,
        },
      ],
    },
    addressType: "IPv4",
    ports: [{ port: 8080 }],
    endpoints: eps.map(e => ({
      addresses: [e.ip],
      conditions: { ready: e.ready, serving: e.ready, terminating: false },
      nodeName: node,
      targetRef: { kind: "Pod", name: e.pod, namespace: "prod" },
    })),
  };
}

/**
 * A slice of the Go implementation's agent for SWH `swh` on `node`: named `<swh>-<node>`,
 * no node-name label, no reports, a controller owner reference to the SWH.
 */
export function rawLegacySlice(swh: string, node: string, eps: Ep[]): Json {
  const slice = rawSlice(swh, node, eps);
  const metadata = slice.metadata as Json;
  return {
    ...slice,
    metadata: {
      ...metadata,
      labels: {
        "kubernetes.io/service-name": swh,
        "endpointslice.kubernetes.io/managed-by": "servicewithhealthchecks",
      },
      annotations: {},
    },
  };
}

export const HTTP_FAIL = { probe: "HTTP:10.0.0.2:8080", reason: "HTTP 503" };

export function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`fixture ${what} did not pass its filter`);
  return value;
}

export function snapshots(swhs: Json[], services: Json[], slices: Json[]): StatusSnapshots {
  return {
    swhs: swhs.map(s => must(filterSwhWithStatus(s), "swh")),
    services: services.map(s => must(filterService(s), "service")),
    slices: slices.map(s => must(filterEndpointSlice(s), "slice")),
  };
}

/** Applies an RFC 7386 merge patch (what the API server does with the hook's MergePatch). */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Json =
    typeof target === "object" && target !== null && !Array.isArray(target)
      ? { ...(target as Json) }
      : {};
  for (const [key, value] of Object.entries(patch as Json)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

/** The one status a single-SWH plan writes (the whole desired status when starting empty). */
export function statusOf(s: StatusSnapshots, now = NOW): ServiceWithHealthchecksStatus {
  const plan = planStatus(s, now);
  const [only, ...more] = plan.writes;
  if (only === undefined || more.length > 0) {
    throw new Error(`expected exactly one status write, got ${plan.writes.length}`);
  }
  return only.mergePatch;
}

export function condition(
  status: ServiceWithHealthchecksStatus,
  type: string,
): Condition | undefined {
  return status.conditions?.find(c => c.type === type);
}

export const SLICE_A = rawSlice("web", "node-a", [
  { pod: "web-0", ip: "10.0.0.1", ready: true },
  { pod: "web-1", ip: "10.0.0.2", ready: false, failures: [HTTP_FAIL] },
]);
export const SLICE_B = rawSlice("web", "node-b", [{ pod: "web-2", ip: "10.0.1.1", ready: true }]);
