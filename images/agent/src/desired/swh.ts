// The agent's view of a ServiceWithHealthchecks: its spec, decoded field by field as the hooks
// decode it (api/swh-decode.ts), plus the status facts the agent obeys - a child Service
// conflict (publishing would feed a foreign Service, so the agent withdraws), the Service's
// allocated IP families, and the status hook's fail-open decision (publish every endpoint). The SWH informer stores these snapshots, filtered at the edge, not whole
// objects.

import {
  CONDITION_CHILD_SERVICE_READY,
  CONDITION_FAIL_OPEN,
  REASON,
  type ServiceWithHealthchecks,
  type ServiceWithHealthchecksSpec,
} from "../../../../api/v1alpha1.js";
import { isRecord } from "swh-kube-client";
import { decodeSwhSpec } from "../../../../api/swh-decode.js";
import { addressFamily, type AddressFamily } from "./pods.js";

/** What the agent keeps of an SWH. */
export interface AgentSwh {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly spec: Readonly<ServiceWithHealthchecksSpec>;
  /**
   * Families to publish: spec.ipFamilies, else the families of status.clusterIPs (copied from the
   * child Service), else undefined (every family the pods have).
   */
  readonly families?: readonly AddressFamily[];
  /** status says ChildServiceReady=False, reason ChildServiceConflict. */
  readonly conflict: boolean;
  /** metadata.deletionTimestamp is set. */
  readonly deleting: boolean;
  /**
   * Present (true) while the status hook's fail-open decision applies: spec.healthcheck.failOpen
   * is set and status says FailOpen=True. Every candidate endpoint is then published ready
   * (desired/fail-open.ts). Part of the SWH's desired-state fingerprint, so a status-only change
   * reaches the slices.
   */
  readonly failOpen?: true;
}

function familiesOf(swh: ServiceWithHealthchecks): AddressFamily[] | undefined {
  const declared = (swh.spec.ipFamilies ?? []).filter(f => f === "IPv4" || f === "IPv6");
  if (declared.length > 0) return declared;
  const fromStatus: AddressFamily[] = [];
  for (const ip of swh.status?.clusterIPs ??
    (swh.status?.clusterIP ? [swh.status.clusterIP] : [])) {
    const family = addressFamily(ip);
    if (family && !fromStatus.includes(family)) fromStatus.push(family);
  }
  return fromStatus.length > 0 ? fromStatus : undefined;
}

function hasConflict(swh: ServiceWithHealthchecks): boolean {
  return (swh.status?.conditions ?? []).some(
    c =>
      c.type === CONDITION_CHILD_SERVICE_READY &&
      c.status === "False" &&
      c.reason === REASON.childServiceConflict,
  );
}

/** spec.healthcheck.failOpen is set and the status hook decided FailOpen=True. */
function failingOpen(swh: ServiceWithHealthchecks): boolean {
  if (swh.spec.healthcheck?.failOpen === undefined) return false;
  return (swh.status?.conditions ?? []).some(
    c => c.type === CONDITION_FAIL_OPEN && c.status === "True",
  );
}

/**
 * Filters a raw SWH into a snapshot; undefined when it lacks identity or a spec, or its spec does
 * not decode (api/swh-decode.ts: the hooks' decoding, field by field).
 */
export function toAgentSwh(raw: unknown): AgentSwh | undefined {
  if (!isRecord(raw) || !isRecord(raw.spec)) return undefined;
  const spec = decodeSwhSpec(raw.spec);
  const meta = raw.metadata as ServiceWithHealthchecks["metadata"] | undefined;
  if (!meta?.uid || !meta.name || !meta.namespace || spec === undefined) return undefined;
  const swh = { ...(raw as unknown as ServiceWithHealthchecks), spec };
  const families = familiesOf(swh);
  return {
    uid: meta.uid,
    name: meta.name,
    namespace: meta.namespace,
    spec,
    ...(families ? { families } : {}),
    conflict: hasConflict(swh),
    deleting: meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null,
    ...(failingOpen(swh) ? { failOpen: true as const } : {}),
  };
}

/**
 * Whether the agent publishes endpoints for this SWH at all: not while it is being deleted and
 * not while its child Service belongs to someone else.
 */
export function shouldPublish(swh: AgentSwh): boolean {
  return !swh.conflict && !swh.deleting;
}

/** The Secret names an SWH's PostgreSQL probes reference, sorted and unique. */
export function referencedSecrets(swh: AgentSwh): string[] {
  const names = new Set<string>();
  for (const probe of swh.spec.healthcheck?.probes ?? []) {
    const name = probe.mode === "PostgreSQL" ? probe.postgreSQL?.authSecretName : undefined;
    if (name) names.add(name);
  }
  return [...names].sort();
}
