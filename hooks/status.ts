// The status hook: the one and only writer of ServiceWithHealthchecks `status`. Agents publish
// endpoints (and per-endpoint failure reports) on their EndpointSlices; the child-service hook
// owns the child Service; this hook folds both into each SWH's status - endpoint counts, the
// per-endpoint list, the Ready and ChildServiceReady conditions, cluster IPs and load balancer.
//
// A single writer that writes only on change is the point: the Go implementation had every agent
// patch every SWH's status, and at scale that status storm was its first failure. Each run
// recomputes every SWH's status from all snapshots (batch hooks always get them all), compares it
// with the status already stored - semantically, ignoring order and empty values - and emits a
// status MergePatch with only the fields that differ, or nothing.

import { defineHook, type MetricsCollector } from "shell-operator-ts-hooks";
import {
  ANNOTATION_ALLOW_ADOPTION,
  LABEL_MANAGED_BY,
  MANAGED_BY_VALUE,
  SWH_API_VERSION,
  SWH_KIND,
  type EndpointReport,
} from "../api/contract.js";
import {
  CONDITION_CHILD_SERVICE_READY,
  CONDITION_READY,
  REASON,
  type Condition,
  type EndpointStatus,
  type LoadBalancerIngress,
  type ServiceWithHealthchecksStatus,
} from "../api/v1alpha1.js";
import {
  ENDPOINT_SLICE_JQ_FILTER,
  filterEndpointSlice,
  type EndpointSliceSnapshot,
} from "./lib/agent-objects.js";
import {
  classifyChildService,
  controllerUid,
  filterService,
  type ChildServiceState,
  type ServiceSnapshot,
} from "./lib/child-service-state.js";
import { SWH_JQ_FILTER, asRecord, filterSwh, objectKey, type SwhSnapshot } from "./lib/swh.js";

// ---------------------------------------------------------------------------------------------
// Snapshots

/** An SWH with the status currently stored on it (raw JSON: it is only compared, never trusted). */
export interface SwhWithStatus {
  readonly swh: SwhSnapshot;
  readonly currentStatus: Readonly<Record<string, unknown>>;
}

/**
 * jqFilter for the status hook's SWH binding: the shared SWH filter plus the whole status, which
 * this hook must see to write only when its computed status differs from the stored one.
 */
export const STATUS_SWH_JQ_FILTER = `(${SWH_JQ_FILTER}) + {status: (.status // {})}`;

/** Snapshot filter for the SWH binding (jq output or full object). */
export function filterSwhWithStatus(obj: unknown): SwhWithStatus | undefined {
  const swh = filterSwh(obj);
  if (swh === undefined) return undefined;
  return { swh, currentStatus: asRecord(asRecord(obj)?.status) ?? {} };
}

/**
 * jqFilter for the status hook's Service binding (all Services): only what the child-service
 * classification and the copied status fields read. Smaller than the child-service hook's, which
 * needs the whole managed spec.
 */
export const STATUS_SERVICE_JQ_FILTER = `{
  apiVersion: .apiVersion,
  kind: .kind,
  metadata: (.metadata | {
    name, namespace, uid, deletionTimestamp,
    annotations: ((.annotations // {}) | with_entries(select(.key == "${ANNOTATION_ALLOW_ADOPTION}"))),
    ownerReferences: [(.ownerReferences // [])[] | {apiVersion, kind, name, uid, controller}]
  }),
  spec: (.spec // {} | {type, clusterIP, clusterIPs, ipFamilies, loadBalancerClass}),
  status: {loadBalancer: .status.loadBalancer}
}`;

// ---------------------------------------------------------------------------------------------
// Endpoints: one per (pod, address) across the SWH's slices

/**
 * At most this many `endpointStatuses` per SWH (non-ready first). 1,000 entries of a few hundred
 * bytes stay far below the 1.5 MiB object limit; the Ready condition says when the list is cut.
 */
export const MAX_ENDPOINT_STATUSES = 1000;

interface EndpointAccumulator {
  podName: string;
  address: string;
  nodeName: string | undefined;
  ready: boolean;
  fencedAt: string | undefined;
  report: EndpointReport | undefined;
}

function endpointKey(pod: string, address: string): string {
  return `${pod}\u0000${address}`;
}

/** Slices of this SWH: same namespace and service name, and (when set) owned by its uid. */
function belongsTo(slice: EndpointSliceSnapshot, swh: SwhSnapshot): boolean {
  const swhOwners = slice.owners.filter(o => o.kind === SWH_KIND);
  return swhOwners.length === 0 || swhOwners.some(o => o.uid === swh.uid);
}

function addSlice(acc: Map<string, EndpointAccumulator>, slice: EndpointSliceSnapshot): void {
  const reports = new Map(slice.reports.map(r => [endpointKey(r.pod, r.address), r]));
  for (const endpoint of slice.endpoints) {
    for (const address of endpoint.addresses) {
      const podName = endpoint.podName ?? address;
      const key = endpointKey(podName, address);
      const seen = acc.get(key);
      if (seen === undefined) {
        acc.set(key, {
          podName,
          address,
          nodeName: endpoint.nodeName ?? slice.nodeName,
          ready: endpoint.ready,
          fencedAt: slice.fencedAt,
          report: reports.get(key),
        });
        continue;
      }
      // The same endpoint in several slices (one per port mapping): ready only if ready in all.
      seen.ready &&= endpoint.ready;
      seen.fencedAt ??= slice.fencedAt;
      seen.report ??= reports.get(key);
    }
  }
}

/** CRD limits on one endpointStatuses entry (crds/servicewithhealthchecks.yaml). */
const MAX_FAILED_PROBES = 32;
const MAX_MESSAGE_LENGTH = 4096;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}\u2026`;
}

function endpointMessage(e: EndpointAccumulator): string | undefined {
  const parts: string[] = [];
  if (e.fencedAt !== undefined) {
    parts.push(`agent on node ${e.nodeName ?? "?"} stopped heartbeating, fenced at ${e.fencedAt}`);
  }
  for (const failure of e.report?.failedProbes ?? []) {
    parts.push(`${failure.probe}: ${failure.reason}`);
  }
  return parts.length === 0 ? undefined : parts.join("; ");
}

function toEndpointStatus(e: EndpointAccumulator): EndpointStatus {
  const failed = e.report?.failedProbes.map(f => f.probe) ?? [];
  const message = endpointMessage(e);
  const status: EndpointStatus = {
    podName: e.podName,
    address: e.address,
    ready: e.ready,
    probesSuccessful: e.report === undefined ? e.ready : failed.length === 0,
  };
  if (e.nodeName !== undefined) status.nodeName = e.nodeName;
  if (failed.length > 0) status.failedProbes = failed;
  if (message !== undefined) status.message = message;
  if (e.report?.lastProbeTime !== undefined) status.lastProbeTime = e.report.lastProbeTime;
  if (e.report?.lastTransitionTime !== undefined) {
    status.lastTransitionTime = e.report.lastTransitionTime;
  }
  if (e.fencedAt !== undefined) status.fenced = true;
  return status;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  return b !== undefined && b > a ? b : a;
}

/** One entry for the addresses of one pod (dual-stack: one per family): ready if all are. */
function mergePodStatuses(entries: readonly EndpointStatus[]): EndpointStatus {
  const first = entries[0]!;
  if (entries.length === 1) return first;
  const merged: EndpointStatus = {
    podName: first.podName,
    address: entries.map(e => e.address ?? "").join(","),
    ready: entries.every(e => e.ready),
    probesSuccessful: entries.every(e => e.probesSuccessful),
  };
  const optional: Partial<EndpointStatus> = {
    nodeName: entries.find(e => e.nodeName !== undefined)?.nodeName,
    failedProbes: entries.flatMap(e => e.failedProbes ?? []),
    message: entries.flatMap(e => (e.message === undefined ? [] : [e.message])).join("; "),
    lastProbeTime: entries.reduce<string | undefined>(
      (t, e) => latest(t, e.lastProbeTime),
      undefined,
    ),
    lastTransitionTime: entries.reduce<string | undefined>(
      (t, e) => latest(t, e.lastTransitionTime),
      undefined,
    ),
    fenced: entries.some(e => e.fenced === true) ? true : undefined,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined && value !== "" && !(Array.isArray(value) && value.length === 0)) {
      Object.assign(merged, { [key]: value });
    }
  }
  return merged;
}

/**
 * endpointStatuses is a list map keyed by podName in the CRD, so a pod with two addresses
 * (dual-stack) must be one entry; the API server would reject the whole status otherwise. Also
 * applies the CRD's per-entry limits.
 */
function statusesByPod(statuses: readonly EndpointStatus[]): EndpointStatus[] {
  const byPod = new Map<string, EndpointStatus[]>();
  for (const status of statuses) {
    const list = byPod.get(status.podName);
    if (list === undefined) byPod.set(status.podName, [status]);
    else list.push(status);
  }
  return [...byPod.values()].map(entries => {
    // Address order fixed, so the merged entry never changes with the order of the slices.
    entries.sort((a, b) => compareText(a.address ?? "", b.address ?? ""));
    const merged = mergePodStatuses(entries);
    if (merged.failedProbes !== undefined && merged.failedProbes.length > MAX_FAILED_PROBES) {
      merged.failedProbes = merged.failedProbes.slice(0, MAX_FAILED_PROBES);
    }
    if (merged.message !== undefined) merged.message = truncate(merged.message, MAX_MESSAGE_LENGTH);
    return merged;
  });
}

/** Non-ready first (they are what people look for), then by pod name and address. */
function compareEndpointStatuses(a: EndpointStatus, b: EndpointStatus): number {
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  return compareText(a.podName, b.podName) || compareText(a.address ?? "", b.address ?? "");
}

/** Endpoint statuses of one SWH, sorted, with the counts over all of them. */
export interface EndpointSummary {
  readonly total: number;
  readonly ready: number;
  readonly fenced: number;
  /** Pods behind the endpoints (a dual-stack pod has two endpoints, one status entry). */
  readonly pods: number;
  /** One entry per pod, sorted, at most MAX_ENDPOINT_STATUSES. */
  readonly statuses: readonly EndpointStatus[];
}

/** Folds the SWH's slices into endpoint statuses: one per (pod, address). */
export function summarizeEndpoints(
  swh: SwhSnapshot,
  slices: readonly EndpointSliceSnapshot[],
): EndpointSummary {
  const acc = new Map<string, EndpointAccumulator>();
  for (const slice of slices) if (belongsTo(slice, swh)) addSlice(acc, slice);
  const all = [...acc.values()].map(toEndpointStatus);
  const pods = statusesByPod(all).sort(compareEndpointStatuses);
  return {
    total: all.length,
    ready: all.filter(e => e.ready).length,
    fenced: all.filter(e => e.fenced === true).length,
    pods: pods.length,
    statuses: pods.slice(0, MAX_ENDPOINT_STATUSES),
  };
}

// ---------------------------------------------------------------------------------------------
// Conditions

/** A condition before its timestamp is settled. */
export type ConditionCore = Pick<Condition, "type" | "status" | "reason" | "message">;

/** The Ready condition from the endpoint counts. */
export function readyCondition(summary: EndpointSummary): ConditionCore {
  const { total, ready, fenced } = summary;
  const parts = [`${ready} of ${total} endpoints ready`];
  if (fenced > 0) parts.push(`${fenced} fenced because their node agent stopped heartbeating`);
  if (summary.statuses.length < summary.pods) {
    parts.push(
      `endpointStatuses lists ${summary.statuses.length} of ${summary.pods} pods, not-ready first`,
    );
  }
  const message = parts.join("; ");
  if (total === 0) {
    return {
      type: CONDITION_READY,
      status: "False",
      reason: REASON.noEndpoints,
      message: "No endpoints: no running pod with an IP matches the selector yet.",
    };
  }
  if (ready === 0) {
    return { type: CONDITION_READY, status: "False", reason: REASON.noReadyEndpoints, message };
  }
  const reason = ready === total ? REASON.allEndpointsReady : REASON.someEndpointsReady;
  return { type: CONDITION_READY, status: "True", reason, message };
}

const CHILD_REASONS: Readonly<Record<ChildServiceState, string>> = {
  Ready: REASON.childServiceCreated,
  Missing: REASON.childServiceNotCreated,
  Conflict: REASON.childServiceConflict,
  ClusterIPImmutable: REASON.childServiceClusterIPImmutable,
};

/** The ChildServiceReady condition from the shared child-service classification. */
export function childServiceCondition(state: ChildServiceState, message: string): ConditionCore {
  return {
    type: CONDITION_CHILD_SERVICE_READY,
    status: state === "Ready" ? "True" : "False",
    reason: CHILD_REASONS[state],
    message,
  };
}

/** Kubernetes-style RFC 3339 time with second precision. */
export function rfc3339(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Completes a condition: the previous lastTransitionTime is kept unless status, reason or message
 * changed; observedGeneration is the SWH's generation.
 */
export function settleCondition(
  core: ConditionCore,
  previous: Condition | undefined,
  generation: number,
  now: Date,
): Condition {
  const unchanged =
    previous !== undefined &&
    previous.status === core.status &&
    previous.reason === core.reason &&
    previous.message === core.message &&
    previous.lastTransitionTime !== "";
  return {
    ...core,
    lastTransitionTime: unchanged ? previous.lastTransitionTime : rfc3339(now),
    observedGeneration: generation,
  };
}

/** Condition types this hook no longer writes and removes: the Go controller's legacy one. */
const DROPPED_CONDITIONS: ReadonlySet<string> = new Set(["ChildService"]);

function buildConditions(
  swh: SwhSnapshot,
  cores: readonly ConditionCore[],
  now: Date,
): Condition[] {
  const previous = new Map(swh.status.conditions.map(c => [c.type, c]));
  const ours = new Set(cores.map(c => c.type));
  const kept = swh.status.conditions.filter(
    c => !ours.has(c.type) && !DROPPED_CONDITIONS.has(c.type),
  );
  const settled = cores.map(c => settleCondition(c, previous.get(c.type), swh.generation, now));
  return [...kept, ...settled].sort((a, b) => compareText(a.type, b.type));
}

// ---------------------------------------------------------------------------------------------
// Desired status and the diff against the stored one

/** Status fields this hook owns (and compares); any other stored field is left alone. */
export const OWNED_STATUS_FIELDS = [
  "observedGeneration",
  "conditions",
  "healthcheckCondition",
  "readySummary",
  "endpointStatuses",
  "loadBalancer",
  "clusterIP",
  "clusterIPs",
] as const satisfies readonly (keyof ServiceWithHealthchecksStatus)[];

function serviceFields(
  swh: SwhSnapshot,
  service: ServiceSnapshot | undefined,
): {
  loadBalancer?: ServiceWithHealthchecksStatus["loadBalancer"];
  clusterIP?: string;
  clusterIPs?: string[];
} {
  // Only our own child's addresses are reported; a conflicting Service's IP would mislead.
  if (service === undefined || controllerUid(service) !== swh.uid) return {};
  const out: ReturnType<typeof serviceFields> = {};
  if (service.spec.clusterIP !== undefined) out.clusterIP = service.spec.clusterIP;
  if (service.spec.clusterIPs !== undefined) out.clusterIPs = [...service.spec.clusterIPs];
  if (service.spec.type === "LoadBalancer" && service.loadBalancerIngress.length > 0) {
    out.loadBalancer = {
      ingress: structuredClone(service.loadBalancerIngress) as LoadBalancerIngress[],
    };
  }
  return out;
}

/** The status the SWH should have, plus its summary (for metrics). */
export interface DesiredStatus {
  readonly status: ServiceWithHealthchecksStatus;
  readonly summary: EndpointSummary;
  readonly childState: ChildServiceState;
}

/** Computes an SWH's status from its slices and its child Service. */
export function desiredStatus(
  swh: SwhSnapshot,
  slices: readonly EndpointSliceSnapshot[],
  service: ServiceSnapshot | undefined,
  now: Date,
): DesiredStatus {
  const summary = summarizeEndpoints(swh, slices);
  const child = classifyChildService(swh, service);
  const conditions = buildConditions(
    swh,
    [readyCondition(summary), childServiceCondition(child.state, child.message)],
    now,
  );
  const status: ServiceWithHealthchecksStatus = {
    observedGeneration: swh.generation,
    conditions,
    healthcheckCondition: {
      observedGeneration: swh.generation,
      endpoints: summary.total,
      readyEndpoints: summary.ready,
    },
    readySummary: `${summary.ready}/${summary.total}`,
    ...serviceFields(swh, service),
  };
  if (summary.statuses.length > 0) status.endpointStatuses = [...summary.statuses];
  return { status, summary, childState: child.state };
}

/**
 * True when a JSON value means "nothing": null, undefined, an empty array, or an object whose
 * values all mean nothing (the API server and other writers may spell "nothing" either way).
 */
export function isAbsent(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value !== "object") return false;
  for (const inner of Object.values(value)) if (!isAbsent(inner)) return false;
  return true;
}

function sameArray(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
  return true;
}

function sameObject(
  a: Readonly<Record<string, unknown>>,
  b: Readonly<Record<string, unknown>>,
): boolean {
  for (const key of Object.keys(a)) if (!sameJson(a[key], b[key])) return false;
  for (const key of Object.keys(b)) if (!Object.hasOwn(a, key) && !isAbsent(b[key])) return false;
  return true;
}

/**
 * Semantic equality of two JSON values: key order ignored, absent values (see isAbsent) equal
 * to each other. Allocation-free: it runs for every owned field of every SWH on every run.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isAbsent(a) || isAbsent(b)) return isAbsent(a) && isAbsent(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && sameArray(a, b);
  }
  if (typeof a === "object" && typeof b === "object") {
    return sameObject(a as Record<string, unknown>, b as Record<string, unknown>);
  }
  return false;
}

function textField(value: unknown, key: string): string {
  const inner = asRecord(value)?.[key];
  return typeof inner === "string" ? inner : "";
}

/** Lists whose order carries no meaning, with the field that identifies an entry. */
const UNORDERED_LISTS: Readonly<Record<string, (item: unknown) => string>> = {
  conditions: item => textField(item, "type"),
  endpointStatuses: item => endpointKey(textField(item, "podName"), textField(item, "address")),
};

function sortedByKey(items: readonly unknown[], keyOf: (item: unknown) => string): unknown[] {
  return items
    .map(item => ({ key: keyOf(item), item }))
    .sort((x, y) => compareText(x.key, y.key))
    .map(x => x.item);
}

/**
 * Whether one owned status field has the same meaning in both statuses; lists whose order means
 * nothing (conditions, endpointStatuses) are compared as sets. The in-order comparison runs
 * first, as stored lists are normally in the order this hook wrote them.
 */
export function sameField(field: string, a: unknown, b: unknown): boolean {
  if (sameJson(a, b)) return true;
  const keyOf = UNORDERED_LISTS[field];
  if (keyOf === undefined || !Array.isArray(a) || !Array.isArray(b)) return false;
  return sameArray(sortedByKey(a, keyOf), sortedByKey(b, keyOf));
}

const UNCHANGED = Symbol("unchanged");

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return asRecord(value) !== undefined;
}

/**
 * RFC 7386 merge patch from `have` to `want` for one value: objects are diffed key by key (a
 * merge patch merges objects, so a key only `have` carries must be sent as `null` or it stays),
 * anything else is replaced whole. UNCHANGED when the two are semantically equal.
 */
function valueMergePatch(want: unknown, have: unknown): unknown {
  if (sameJson(want, have)) return UNCHANGED;
  if (!isPlainObject(want) || !isPlainObject(have)) return isAbsent(want) ? null : want;
  const patch: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(want), ...Object.keys(have)])) {
    const inner = valueMergePatch(want[key], have[key]);
    if (inner !== UNCHANGED) patch[key] = inner;
  }
  return patch;
}

/**
 * The status merge patch that turns `current` into `desired`: only owned fields that differ
 * (lists whose order means nothing compared as sets), a field to remove as `null`. Undefined
 * when nothing differs - no write.
 */
export function statusMergePatch(
  desired: ServiceWithHealthchecksStatus,
  current: Readonly<Record<string, unknown>>,
): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  for (const field of OWNED_STATUS_FIELDS) {
    const want: unknown = desired[field];
    if (sameField(field, want, current[field])) continue;
    patch[field] = valueMergePatch(want, current[field]);
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

// ---------------------------------------------------------------------------------------------
// The whole run

/** One status write. */
export interface StatusWrite {
  readonly namespace: string;
  readonly name: string;
  readonly mergePatch: Record<string, unknown>;
}

/** Per-SWH numbers for metrics. */
export interface SwhStatusSummary {
  readonly namespace: string;
  readonly name: string;
  readonly total: number;
  readonly ready: number;
  readonly childReady: boolean;
}

/** What one run writes and reports. */
export interface StatusPlan {
  readonly writes: readonly StatusWrite[];
  readonly summaries: readonly SwhStatusSummary[];
}

/** Snapshots the planner reads. */
export interface StatusSnapshots {
  readonly swhs: readonly SwhWithStatus[];
  readonly services: readonly ServiceSnapshot[];
  readonly slices: readonly EndpointSliceSnapshot[];
}

function groupSlicesBySwh(
  slices: readonly EndpointSliceSnapshot[],
): ReadonlyMap<string, EndpointSliceSnapshot[]> {
  const bySwh = new Map<string, EndpointSliceSnapshot[]>();
  for (const slice of slices) {
    if (slice.serviceName === undefined) continue;
    const key = objectKey(slice.namespace, slice.serviceName);
    const list = bySwh.get(key);
    if (list === undefined) bySwh.set(key, [slice]);
    else list.push(slice);
  }
  return bySwh;
}

/**
 * Computes every SWH's status and the writes needed: linear in SWHs + Services + slices (indexes
 * by namespace/name, no nested scans). SWHs being deleted are skipped.
 */
export function planStatus(snapshots: StatusSnapshots, now: Date): StatusPlan {
  const slicesBySwh = groupSlicesBySwh(snapshots.slices);
  const services = new Map(snapshots.services.map(s => [objectKey(s.namespace, s.name), s]));
  const writes: StatusWrite[] = [];
  const summaries: SwhStatusSummary[] = [];
  for (const { swh, currentStatus } of snapshots.swhs) {
    if (swh.deletionTimestamp !== undefined) continue;
    const key = objectKey(swh.namespace, swh.name);
    const desired = desiredStatus(swh, slicesBySwh.get(key) ?? [], services.get(key), now);
    const { namespace, name } = swh;
    summaries.push({
      namespace,
      name,
      total: desired.summary.total,
      ready: desired.summary.ready,
      childReady: desired.childState === "Ready",
    });
    const mergePatch = statusMergePatch(desired.status, currentStatus);
    if (mergePatch !== undefined) writes.push({ namespace, name, mergePatch });
  }
  return { writes, summaries };
}

/** Metric names exported by the status hook. */
export const STATUS_METRICS = {
  endpoints: "d8_swh_endpoints",
  readyEndpoints: "d8_swh_ready_endpoints",
  childServiceReady: "d8_swh_child_service_ready",
} as const;

/** Metric group: every run replaces the previous run's per-SWH series (deleted SWHs vanish). */
export const STATUS_METRIC_GROUP = "swh_status";

/** Three gauges per SWH, labelled by namespace and name only (no per-endpoint series). */
export function emitStatusMetrics(
  summaries: readonly SwhStatusSummary[],
  metrics: MetricsCollector,
): void {
  if (summaries.length === 0) {
    metrics.expire(STATUS_METRIC_GROUP);
    return;
  }
  const group = { group: STATUS_METRIC_GROUP };
  for (const s of summaries) {
    const labels = { namespace: s.namespace, name: s.name };
    metrics.set(STATUS_METRICS.endpoints, s.total, labels, group);
    metrics.set(STATUS_METRICS.readyEndpoints, s.ready, labels, group);
    metrics.set(STATUS_METRICS.childServiceReady, s.childReady ? 1 : 0, labels, group);
  }
}

/** The hook: computes and writes SWH status, only when it changed. */
export const statusHook = defineHook(
  {
    name: "status",
    kubernetes: {
      swhs: {
        name: "swhs",
        apiVersion: SWH_API_VERSION,
        kind: SWH_KIND,
        jqFilter: STATUS_SWH_JQ_FILTER,
        filter: filterSwhWithStatus,
      },
      services: {
        name: "services",
        apiVersion: "v1",
        kind: "Service",
        jqFilter: STATUS_SERVICE_JQ_FILTER,
        filter: filterService,
      },
      slices: {
        name: "slices",
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        labelSelector: { matchLabels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE } },
        jqFilter: ENDPOINT_SLICE_JQ_FILTER,
        filter: filterEndpointSlice,
      },
    },
    // Bursts of slice updates (many probes crossing thresholds at once) collapse into one run.
    settings: { executionMinInterval: "1s", executionBurst: 1 },
  },
  input => {
    const plan = planStatus(input.snapshots, input.now);
    for (const write of plan.writes) {
      const ref = {
        apiVersion: SWH_API_VERSION,
        kind: SWH_KIND,
        namespace: write.namespace,
        name: write.name,
      };
      input.patches.mergePatch(ref, write.mergePatch, {
        subresource: "status",
        ignoreMissingObject: true,
      });
    }
    if (plan.writes.length > 0) {
      input.logger.info("status updated", { count: plan.writes.length });
    }
    emitStatusMetrics(plan.summaries, input.metrics);
  },
);
