// What a Service's endpoints look like, read the way kube-proxy or a CNI reads them: every
// EndpointSlice labelled `kubernetes.io/service-name=<service>`, flattened to one row per
// (pod, address) with its conditions, the publishing node and the agent's reported reason.
import {
  ANNOTATION_ENDPOINT_REPORTS,
  ANNOTATION_FENCED_AT,
  LABEL_SERVICE_NAME,
  type EndpointReport,
} from "../../../api/contract.js";
import type { RawEndpointSlice } from "swh-kube-client";
import { listItems } from "../kube.js";
import type { World } from "../world/handle.js";

/** One published endpoint. */
export interface EndpointRow {
  readonly slice: string;
  readonly pod: string;
  readonly node: string;
  readonly address: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  /** The agent's failing probes for this pod, `probe: reason`. */
  readonly failures: readonly string[];
  /** The slice carries the fencing annotation. */
  readonly fenced: boolean;
}

/** Flattens slices into rows, sorted by pod then address. */
export function endpointRows(slices: readonly RawEndpointSlice[]): EndpointRow[] {
  const rows: EndpointRow[] = [];
  for (const slice of slices) {
    const annotations = slice.metadata?.annotations ?? {};
    let reports: EndpointReport[] = [];
    try {
      reports = JSON.parse(annotations[ANNOTATION_ENDPOINT_REPORTS] ?? "[]") as EndpointReport[];
    } catch {
      reports = [];
    }
    for (const ep of slice.endpoints ?? []) {
      const pod = ep.targetRef?.name ?? "";
      const report = reports.find(r => r.pod === pod);
      for (const address of ep.addresses ?? []) {
        rows.push({
          slice: slice.metadata?.name ?? "",
          pod,
          node: ep.nodeName ?? "",
          address,
          ready: ep.conditions?.ready === true,
          serving: ep.conditions?.serving === true,
          terminating: ep.conditions?.terminating === true,
          failures: (report?.failedProbes ?? []).map(f => `${f.probe}: ${f.reason}`),
          fenced: annotations[ANNOTATION_FENCED_AT] !== undefined,
        });
      }
    }
  }
  return rows.sort((a, b) => a.pod.localeCompare(b.pod) || a.address.localeCompare(b.address));
}

/** The EndpointSlices of a Service. */
export function serviceSlices(
  world: World,
  namespace: string,
  service: string,
): Promise<RawEndpointSlice[]> {
  return listItems<RawEndpointSlice>(
    world.rest,
    `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
    `${LABEL_SERVICE_NAME}=${service}`,
  );
}

/** The endpoint rows of a Service. */
export async function serviceEndpoints(
  world: World,
  namespace: string,
  service: string,
): Promise<EndpointRow[]> {
  return endpointRows(await serviceSlices(world, namespace, service));
}

/** Names of the pods with a ready endpoint, sorted. */
export async function readyPods(
  world: World,
  namespace: string,
  service: string,
): Promise<string[]> {
  const rows = await serviceEndpoints(world, namespace, service);
  return [...new Set(rows.filter(r => r.ready).map(r => r.pod))].sort();
}
