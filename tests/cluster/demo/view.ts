// The demo's live view and `get`: what `kubectl get swh -A` shows (type, ready/total, cluster IP,
// ports, age) plus, under each, its endpoints as the agents published them (pod, node, address,
// ready, and why not). Gathering reads the API; rendering is a pure function of the data.
import { SWH_API_VERSION, SWH_PLURAL } from "../../../api/contract.js";
import type { ServiceWithHealthchecks } from "../../../api/v1alpha1.js";
import type { KubeRest, RawEndpointSlice } from "swh-kube-client";
import { LABEL_SERVICE_NAME } from "../../../api/contract.js";
import { listItems } from "../kube.js";
import { endpointRows, type EndpointRow } from "../scenario/endpoints.js";

/** One SWH and its endpoints. */
export interface SwhView {
  readonly swh: ServiceWithHealthchecks;
  readonly endpoints: readonly EndpointRow[];
}

/** Reads every SWH (in `namespace`, or all) and their endpoint slices. */
export async function gatherViews(rest: KubeRest, namespace?: string): Promise<SwhView[]> {
  const base = `/apis/${SWH_API_VERSION}`;
  const swhs = await listItems<ServiceWithHealthchecks>(
    rest,
    namespace ? `${base}/namespaces/${namespace}/${SWH_PLURAL}` : `${base}/${SWH_PLURAL}`,
  );
  const slices = await listItems<RawEndpointSlice>(
    rest,
    namespace
      ? `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`
      : "/apis/discovery.k8s.io/v1/endpointslices",
    LABEL_SERVICE_NAME,
  );
  return swhs
    .map(swh => ({
      swh,
      endpoints: endpointRows(
        slices.filter(
          s =>
            s.metadata?.namespace === swh.metadata.namespace &&
            s.metadata?.labels?.[LABEL_SERVICE_NAME] === swh.metadata.name,
        ),
      ),
    }))
    .sort(
      (a, b) =>
        (a.swh.metadata.namespace ?? "").localeCompare(b.swh.metadata.namespace ?? "") ||
        a.swh.metadata.name.localeCompare(b.swh.metadata.name),
    );
}

/** `5s`, `3m`, `2h`, `4d` like kubectl's AGE column. */
export function age(from: string | undefined, now: number): string {
  if (!from) return "<unknown>";
  const s = Math.max(0, Math.floor((now - Date.parse(from)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** Left-aligned columns separated by three spaces, like kubectl. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map(row =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd(),
  );
}

function ports(swh: ServiceWithHealthchecks): string {
  return (swh.spec.ports ?? []).map(p => `${p.port}/${p.protocol ?? "TCP"}`).join(",") || "<none>";
}

/** The `kubectl get swh -A` table (printer columns of the CRD). */
export function swhTable(views: readonly SwhView[], now: number): string[] {
  const rows = [["NAMESPACE", "NAME", "TYPE", "READY", "CLUSTER-IP", "PORTS", "AGE"]];
  for (const { swh } of views) {
    rows.push([
      swh.metadata.namespace ?? "",
      swh.metadata.name,
      swh.spec.type ?? "ClusterIP",
      swh.status?.readySummary ?? "-",
      swh.status?.clusterIP ?? "-",
      ports(swh),
      age(swh.metadata.creationTimestamp, now),
    ]);
  }
  return table(rows);
}

/** Short reason of an endpoint that is not ready. */
function reason(row: EndpointRow): string {
  if (row.fenced) return "fenced: its agent stopped heartbeating";
  if (row.ready) return "";
  return row.failures.join("; ") || (row.serving ? "" : "not serving");
}

/** The live view: every SWH with its endpoints (one line per pod address). */
export function endpointsView(views: readonly SwhView[]): string[] {
  const rows: string[][] = [["SERVICE", "POD", "NODE", "ADDRESS", "READY", "WHY NOT"]];
  for (const { swh, endpoints } of views) {
    const name = `${swh.metadata.namespace ?? ""}/${swh.metadata.name}`;
    if (endpoints.length === 0) rows.push([name, "-", "-", "-", "-", "no endpoints published yet"]);
    for (const e of endpoints) {
      rows.push([name, e.pod, e.node, e.address, e.ready ? "yes" : "no", reason(e)]);
    }
  }
  return table(rows);
}
