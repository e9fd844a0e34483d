// Plans the writes that turn one SWH's existing slices on this node into the desired ones.
// Pure: `planSlices(desired, existing)` returns creates, updates and deletes, and nothing when
// nothing changed. Like the EndpointSlice controller's reconciler it reuses existing slices
// instead of deleting one and creating another (a create+delete pair becomes one update), so a
// changed targetPort is an update, not a churn of names. Matching, in order:
//   1. same name (and address type: it is immutable),
//   2. same group (address family + port mapping), in name order,
//   3. any leftover slice of the same address type,
// then unmatched desired slices are created and unmatched existing ones deleted.

import type { RawEndpointSlice } from "swh-kube-client";
import { portKey, type DesiredSlice } from "./build.js";
import { slicesEqual } from "./equal.js";

/** The writes of one reconciliation. Apply deletes first, then updates, then creates. */
export interface SlicePlan {
  /** New slices (full bodies). */
  readonly create: RawEndpointSlice[];
  /** Existing slices rewritten: desired content under the existing name and resourceVersion. */
  readonly update: RawEndpointSlice[];
  /** Existing slices to remove. */
  readonly delete: RawEndpointSlice[];
}

/** Number of writes in a plan. */
export function planSize(plan: SlicePlan): number {
  return plan.create.length + plan.update.length + plan.delete.length;
}

/** The group (`family/portKey`) of an existing slice, as build.ts computes it for desired ones. */
export function existingGroup(slice: RawEndpointSlice): string {
  const ports = (slice.ports ?? []).map(p => ({
    name: p.name ?? "",
    protocol: p.protocol ?? "TCP",
    ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    port: p.port ?? 0,
  }));
  return `${slice.addressType}/${portKey(ports)}`;
}

function nameOf(slice: RawEndpointSlice): string {
  return slice.metadata?.name ?? "";
}

function byName(a: RawEndpointSlice, b: RawEndpointSlice): number {
  return nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0;
}

/** Desired content written over `existing` (keeps its name and resourceVersion). */
function rewrite(desired: RawEndpointSlice, existing: RawEndpointSlice): RawEndpointSlice {
  const rv = existing.metadata?.resourceVersion;
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      name: nameOf(existing),
      ...(rv ? { resourceVersion: rv } : {}),
    },
  };
}

type Match = [DesiredSlice, RawEndpointSlice];

function takeWhere(
  pool: RawEndpointSlice[],
  predicate: (s: RawEndpointSlice) => boolean,
): RawEndpointSlice | undefined {
  const index = pool.findIndex(predicate);
  return index < 0 ? undefined : pool.splice(index, 1)[0];
}

/** Runs a matching pass: pairs every still-unmatched desired slice it can with a pooled one. */
function matchPass(
  unmatched: DesiredSlice[],
  pool: RawEndpointSlice[],
  predicate: (d: DesiredSlice, s: RawEndpointSlice) => boolean,
  matches: Match[],
): DesiredSlice[] {
  const rest: DesiredSlice[] = [];
  for (const d of unmatched) {
    const found = takeWhere(pool, s => predicate(d, s));
    if (found) matches.push([d, found]);
    else rest.push(d);
  }
  return rest;
}

/** Plans the writes from `existing` (this SWH's slices on this node) to `desired`. */
export function planSlices(
  desired: readonly DesiredSlice[],
  existing: readonly RawEndpointSlice[],
): SlicePlan {
  const pool = [...existing].sort(byName);
  const matches: Match[] = [];
  const sameType = (d: DesiredSlice, s: RawEndpointSlice): boolean =>
    d.slice.addressType === s.addressType;
  let unmatched = matchPass(
    [...desired],
    pool,
    (d, s) => sameType(d, s) && nameOf(s) === nameOf(d.slice),
    matches,
  );
  unmatched = matchPass(unmatched, pool, (d, s) => existingGroup(s) === d.group, matches);
  unmatched = matchPass(unmatched, pool, sameType, matches);
  const update = matches
    .filter(([d, s]) => !slicesEqual(d.slice, s))
    .map(([d, s]) => rewrite(d.slice, s));
  return { create: unmatched.map(d => d.slice), update, delete: pool };
}
