// What the status hook keeps of its objects. SWHs: only what a status depends on - identity,
// generation, deletion mark, the few spec fields the child-service classification compares,
// spec.healthcheck.failOpen with periodSeconds (only when failOpen is set), and the whole stored
// status (to write only when it differs). Not the shared SWH snapshot: the
// status hook never reads probes, ports, selector, labels or annotations, and parsing them for
// 1,000 SWHs on every run is wasted work (bench/hooks/compare-builds.ts measures it). Services: only
// what the classification and the copied status fields read.

import { ANNOTATION_ALLOW_ADOPTION } from "../../api/contract.js";
import {
  SERVICE_IDENTITY_JQ,
  SERVICE_MAY_BE_CHILD_JQ,
  type ClassifiedSwh,
} from "../lib/child-service-state.js";
import {
  asNumber,
  asRecord,
  asString,
  asStringArray,
  compact,
  recordAt,
} from "../../api/json-read.js";
import { readIdentity, type SwhSnapshot } from "../lib/swh.js";
import { SWH_SERVICE_TYPES, readConditions, readFailOpen } from "../../api/swh-decode.js";
import { failOpenHoldMs } from "../lib/fail-open-hold.js";
import { type FailOpenSettings, type StoredFailOpen } from "./fail-open.js";

/** The spec fields the child-service classification compares (immutable Service fields). */
export type StatusSwhSpec = ClassifiedSwh["spec"];

/** What the status hook keeps of one SWH: a subset of the shared SwhSnapshot. */
export type StatusSwh = Pick<
  SwhSnapshot,
  "name" | "namespace" | "uid" | "generation" | "deletionTimestamp" | "status"
> & {
  readonly spec: StatusSwhSpec;
  /** spec.healthcheck.failOpen with its hold; absent: fail-open is off. */
  readonly failOpen?: FailOpenSettings;
  /** status.failOpen as stored (the previous run's decision), when there is one. */
  readonly storedFailOpen?: StoredFailOpen;
};

/** An SWH with the status currently stored on it (raw JSON: it is only compared, never trusted). */
export interface SwhWithStatus {
  readonly swh: StatusSwh;
  readonly currentStatus: Readonly<Record<string, unknown>>;
}

/**
 * jqFilter for the status hook's SWH binding: identity, generation, deletion mark, the spec
 * fields the child-service classification compares, and the whole status.
 */
export const STATUS_SWH_JQ_FILTER = `{
  apiVersion: .apiVersion,
  kind: .kind,
  metadata: (.metadata | {name, namespace, uid, generation, deletionTimestamp}),
  spec: (.spec // {} | {type, clusterIP, clusterIPs, ipFamilies, loadBalancerClass}
    + (if .healthcheck.failOpen then {healthcheck: (.healthcheck | {failOpen, periodSeconds})} else {} end)),
  status: (.status // {})
}`;

const SWH_TYPES: ReadonlySet<string> = new Set(SWH_SERVICE_TYPES);
const IP_FAMILIES: ReadonlySet<string> = new Set(["IPv4", "IPv6"]);

/** The spec subset; undefined for a `type` the CRD rejects (as the shared filterSwh does). */
function readStatusSpec(value: unknown): StatusSwhSpec | undefined {
  const spec = asRecord(value) ?? {};
  const type = asString(spec.type);
  if (type !== undefined && !SWH_TYPES.has(type)) return undefined;
  return compact<StatusSwhSpec>({
    type: type as StatusSwhSpec["type"],
    clusterIP: asString(spec.clusterIP),
    clusterIPs: asStringArray(spec.clusterIPs),
    ipFamilies: asStringArray(spec.ipFamilies)?.filter((f): f is "IPv4" | "IPv6" =>
      IP_FAMILIES.has(f),
    ),
    loadBalancerClass: asString(spec.loadBalancerClass),
  });
}

/** spec.healthcheck.failOpen with the hold its period gives; undefined when absent. */
function readFailOpenSettings(spec: unknown): FailOpenSettings | undefined {
  const healthcheck = asRecord(asRecord(spec)?.healthcheck);
  const failOpen = readFailOpen(healthcheck?.failOpen);
  if (failOpen === undefined) return undefined;
  const period = asNumber(healthcheck?.periodSeconds);
  return { minPassingPercent: failOpen.minPassingPercent, holdMs: failOpenHoldMs(period) };
}

/** status.failOpen as stored; undefined when there is none. */
function readStoredFailOpen(status: Readonly<Record<string, unknown>>): StoredFailOpen | undefined {
  const raw = asRecord(status.failOpen);
  if (raw === undefined) return undefined;
  return compact<StoredFailOpen>({
    active: raw.active === true,
    passingSince: asString(raw.passingSince),
  });
}

/**
 * Snapshot filter for the SWH binding (jq output or full object). Undefined without name,
 * namespace or uid, or with a `spec.type` the CRD does not allow.
 */
export function filterSwhWithStatus(obj: unknown): SwhWithStatus | undefined {
  const id = readIdentity(obj);
  const spec = readStatusSpec(asRecord(obj)?.spec);
  if (id === undefined || spec === undefined) return undefined;
  const currentStatus = recordAt(obj, "status");
  const swh = compact<StatusSwh>({
    name: id.name,
    namespace: id.namespace,
    uid: id.uid,
    generation: asNumber(id.metadata.generation) ?? 0,
    deletionTimestamp: asString(id.metadata.deletionTimestamp),
    spec,
    status: compact({
      observedGeneration: asNumber(currentStatus.observedGeneration),
      conditions: readConditions(currentStatus.conditions),
    }),
    failOpen: readFailOpenSettings(asRecord(obj)?.spec),
    storedFailOpen: readStoredFailOpen(currentStatus),
  });
  return { swh, currentStatus };
}

/**
 * jqFilter for the status hook's Service binding (all Services): only what the child-service
 * classification and the copied status fields read. Smaller than the child-service hook's, which
 * needs the whole managed spec.
 */
export const STATUS_SERVICE_JQ_FILTER = `if ${SERVICE_MAY_BE_CHILD_JQ} then {
  apiVersion: .apiVersion,
  kind: .kind,
  metadata: (.metadata | {
    name, namespace, uid, deletionTimestamp,
    annotations: ((.annotations // {}) | with_entries(select(.key == "${ANNOTATION_ALLOW_ADOPTION}"))),
    ownerReferences: [(.ownerReferences // [])[] | {apiVersion, kind, name, uid, controller}]
  }),
  spec: (.spec // {} | {type, clusterIP, clusterIPs, ipFamilies, loadBalancerClass}),
  status: {loadBalancer: .status.loadBalancer}
} else ${SERVICE_IDENTITY_JQ} end`;
