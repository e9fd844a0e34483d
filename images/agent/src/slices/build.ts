// Builds the EndpointSlices one SWH should have on this node: one slice per (address family,
// port mapping), split into chunks of at most 1000 endpoints. Pods whose named targetPort resolves
// to different numbers need different port lists, hence different slices - the same grouping the
// EndpointSlice controller uses. Pure and deterministic: names come from a hash of the SWH uid,
// the group and the chunk index, endpoints and ports are sorted, so an unchanged state builds a
// byte-identical slice and the planner writes nothing.

import {
  ANNOTATION_ENDPOINT_REPORTS,
  HERITAGE_VALUE,
  LABEL_HERITAGE,
  LABEL_MANAGED_BY,
  LABEL_NODE_NAME,
  LABEL_SERVICE_NAME,
  MANAGED_BY_VALUE,
  MAX_NAME_LENGTH,
  SWH_API_VERSION,
  SWH_KIND,
  fnv1a32,
  nodeLabelValue,
  type EndpointReport,
} from "../../../../api/contract.js";
import type { DesiredEndpoint, ResolvedPort } from "../desired/endpoints.js";
import type { AddressFamily } from "../desired/pods.js";
import type { EndpointVerdict } from "../desired/readiness.js";
import type { RawEndpoint, RawEndpointPort, RawEndpointSlice } from "swh-kube-client";
import { encodeReports } from "../../../../api/endpoint-reports.js";

/** The EndpointSlice API's limit of endpoints per slice. */
export const MAX_ENDPOINTS_PER_SLICE = 1000;

/** An endpoint with its verdict and when its readiness last changed. */
export interface EvaluatedEndpoint {
  readonly endpoint: DesiredEndpoint;
  readonly verdict: EndpointVerdict;
  /** RFC 3339; omitted from the report when unknown. */
  readonly lastTransitionTime?: string;
}

/** Inputs of buildSlices for one SWH. */
export interface SliceBuildInput {
  readonly swh: { readonly uid: string; readonly name: string; readonly namespace: string };
  readonly nodeName: string;
  /** The node's zone, when known: every endpoint carries it. */
  readonly zone?: string;
  /** The SWH's spec.trafficDistribution: decides the endpoints' topology hints. */
  readonly trafficDistribution?: string;
  readonly endpoints: readonly EvaluatedEndpoint[];
  /** Put lastProbeTime into the reports (one write per probe period; off by default). */
  readonly verbose: boolean;
  /** Chunk size (default MAX_ENDPOINTS_PER_SLICE). */
  readonly maxEndpointsPerSlice?: number;
}

/** A slice the SWH should have. */
export interface DesiredSlice {
  /** `family/portKey`: slices of one group are interchangeable for the planner. */
  readonly group: string;
  /** Index of the chunk within its group. */
  readonly chunk: number;
  readonly slice: RawEndpointSlice;
}

export { nodeLabelValue } from "../../../../api/contract.js";

/** The labels every slice of `swhName` on `nodeName` carries. */
export function sliceLabels(swhName: string, nodeName: string): Record<string, string> {
  return {
    [LABEL_SERVICE_NAME]: swhName,
    [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
    [LABEL_NODE_NAME]: nodeLabelValue(nodeName),
    [LABEL_HERITAGE]: HERITAGE_VALUE,
  };
}

/** Canonical text of a port list: the identity of a port mapping. */
export function portKey(ports: readonly ResolvedPort[]): string {
  return JSON.stringify(
    sortPorts(ports).map(p => [p.name, p.protocol, p.appProtocol ?? "", p.port]),
  );
}

function sortPorts(ports: readonly ResolvedPort[]): ResolvedPort[] {
  return [...ports].sort((a, b) => {
    if (a.name !== b.name) return a.name < b.name ? -1 : 1;
    return a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : a.port - b.port;
  });
}

/**
 * `<swh>-<node>-<hash>`: deterministic, distinct per (SWH uid, group, chunk), and at most 253
 * characters (the `<swh>-<node>` part is cut when needed; the hash always stays).
 */
export function sliceName(
  swh: { readonly uid: string; readonly name: string },
  nodeName: string,
  group: string,
  chunk: number,
): string {
  const hash = fnv1a32(`${swh.uid}/${group}/${chunk}`).toString(16).padStart(8, "0");
  const prefix = `${swh.name}-${nodeName}`
    .slice(0, MAX_NAME_LENGTH - hash.length - 1)
    .replace(/[-.]+$/, "");
  return `${prefix}-${hash}`;
}

/**
 * The zone and topology hints of this node's endpoints, as the EndpointSlice controller writes
 * them for a Service's trafficDistribution: `PreferClose` and `PreferSameZone` hint the
 * endpoint's zone, `PreferSameNode` its node (and zone, kube-proxy's fallback). kube-proxy uses
 * hints only when every ready endpoint of the Service has them, so an unknown zone means none.
 */
export function endpointTopology(
  nodeName: string,
  zone: string | undefined,
  trafficDistribution: string | undefined,
): Pick<RawEndpoint, "zone" | "hints"> {
  const forZones = zone ? [{ name: zone }] : undefined;
  const where = zone ? { zone } : {};
  if (trafficDistribution === "PreferSameNode") {
    return {
      ...where,
      hints: { forNodes: [{ name: nodeName }], ...(forZones ? { forZones } : {}) },
    };
  }
  const zonal = trafficDistribution === "PreferClose" || trafficDistribution === "PreferSameZone";
  return zonal && forZones ? { ...where, hints: { forZones } } : where;
}

function toEndpoint(
  e: EvaluatedEndpoint,
  nodeName: string,
  topology: Pick<RawEndpoint, "zone" | "hints">,
): RawEndpoint {
  return {
    addresses: [e.endpoint.address],
    conditions: { ...e.verdict.conditions },
    nodeName,
    ...topology,
    targetRef: {
      kind: "Pod",
      name: e.endpoint.pod.name,
      namespace: e.endpoint.pod.namespace,
      uid: e.endpoint.pod.uid,
    },
  };
}

function toReport(e: EvaluatedEndpoint, verbose: boolean): EndpointReport {
  const probeTime = verbose ? e.verdict.lastProbeAt?.toISOString() : undefined;
  return {
    pod: e.endpoint.pod.name,
    address: e.endpoint.address,
    ready: e.verdict.healthy,
    failedProbes: e.verdict.failures,
    ...(e.lastTransitionTime ? { lastTransitionTime: e.lastTransitionTime } : {}),
    ...(probeTime ? { lastProbeTime: probeTime } : {}),
    ...(e.verdict.drain === "drained" ? { drained: true } : {}),
  };
}

function toPorts(ports: readonly ResolvedPort[]): RawEndpointPort[] {
  return sortPorts(ports).map(p => ({
    name: p.name,
    protocol: p.protocol,
    port: p.port,
    ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
  }));
}

function compareEndpoints(a: EvaluatedEndpoint, b: EvaluatedEndpoint): number {
  const pa = a.endpoint.pod.name;
  const pb = b.endpoint.pod.name;
  if (pa !== pb) return pa < pb ? -1 : 1;
  return a.endpoint.address < b.endpoint.address ? -1 : 1;
}

function groupEndpoints(
  endpoints: readonly EvaluatedEndpoint[],
): Map<
  string,
  { family: AddressFamily; ports: readonly ResolvedPort[]; list: EvaluatedEndpoint[] }
> {
  const groups = new Map<
    string,
    { family: AddressFamily; ports: readonly ResolvedPort[]; list: EvaluatedEndpoint[] }
  >();
  for (const e of endpoints) {
    const key = `${e.endpoint.family}/${portKey(e.endpoint.ports)}`;
    const group = groups.get(key);
    if (group) group.list.push(e);
    else groups.set(key, { family: e.endpoint.family, ports: e.endpoint.ports, list: [e] });
  }
  return groups;
}

/** Builds the desired slices of one SWH on one node, sorted by group and chunk. */
export function buildSlices(input: SliceBuildInput): DesiredSlice[] {
  const max = input.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
  const out: DesiredSlice[] = [];
  const groups = [...groupEndpoints(input.endpoints)].sort(([a], [b]) => (a < b ? -1 : 1));
  const topology = endpointTopology(input.nodeName, input.zone, input.trafficDistribution);
  for (const [group, { family, ports, list }] of groups) {
    list.sort(compareEndpoints);
    for (let chunk = 0; chunk * max < list.length; chunk++) {
      const members = list.slice(chunk * max, (chunk + 1) * max);
      out.push({
        group,
        chunk,
        slice: {
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSlice",
          metadata: {
            name: sliceName(input.swh, input.nodeName, group, chunk),
            namespace: input.swh.namespace,
            labels: sliceLabels(input.swh.name, input.nodeName),
            annotations: {
              [ANNOTATION_ENDPOINT_REPORTS]: encodeReports(
                members.map(m => toReport(m, input.verbose)),
              ),
            },
            ownerReferences: [
              {
                apiVersion: SWH_API_VERSION,
                kind: SWH_KIND,
                name: input.swh.name,
                uid: input.swh.uid,
                controller: true,
                blockOwnerDeletion: false,
              },
            ],
          },
          addressType: family,
          endpoints: members.map(m => toEndpoint(m, input.nodeName, topology)),
          ports: toPorts(ports),
        },
      });
    }
  }
  return out;
}
