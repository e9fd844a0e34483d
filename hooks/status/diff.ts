// The write-only-on-change half of the status hook: a semantic comparison of the desired status
// with the stored one (key order, list order where it means nothing, and the many spellings of
// "nothing" are ignored) and the RFC 7386 merge patch carrying only the owned fields that differ.
// Other writers' status fields are never touched.

import type { ServiceWithHealthchecksStatus } from "../../api/v1alpha1.js";
import { compareText } from "../lib/collections.js";
import { asRecord } from "../../api/json-read.js";
import { endpointKey } from "./endpoints.js";

/** Status fields this hook owns (and compares); any other stored field is left alone. */
export const OWNED_STATUS_FIELDS = [
  "observedGeneration",
  "conditions",
  "healthcheckCondition",
  "readySummary",
  "failOpen",
  "endpointStatuses",
  "loadBalancer",
  "clusterIP",
  "clusterIPs",
] as const satisfies readonly (keyof ServiceWithHealthchecksStatus)[];

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
