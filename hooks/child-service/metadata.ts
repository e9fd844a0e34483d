// Label and annotation propagation from an SWH to its child Service. The child gets the SWH's
// labels and annotations (minus a few that belong to the SWH alone) and records which keys it
// got in two bookkeeping annotations, so a key later removed from the SWH is removed from the
// child too, while keys other controllers put on the child (cloud LB annotations, ...) stay.

import {
  ANNOTATION_PROPAGATED_ANNOTATIONS,
  ANNOTATION_PROPAGATED_LABELS,
  HERITAGE_VALUE,
  LABEL_HERITAGE,
} from "../../api/contract.js";
import { ANNOTATION_LAST_APPLIED } from "../lib/swh.js";

/** SWH annotations never copied to the child: they describe the SWH object itself. */
export const NEVER_PROPAGATED_ANNOTATIONS: ReadonlySet<string> = new Set([
  ANNOTATION_LAST_APPLIED,
  "meta.helm.sh/release-name",
  "meta.helm.sh/release-namespace",
  ANNOTATION_PROPAGATED_ANNOTATIONS,
  ANNOTATION_PROPAGATED_LABELS,
]);

/** Labels the hook sets itself on every child, whatever the SWH says. */
export const FORCED_LABELS: Readonly<Record<string, string>> = {
  [LABEL_HERITAGE]: HERITAGE_VALUE,
};

/** Labels and annotations of an object. */
export interface Metadata {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** Changes for a JSON merge patch: a value sets the key, `null` removes it. */
export type MapPatch = Record<string, string | null>;

/** Merge-patch fragment for metadata; a field is absent when it needs no change. */
export interface MetadataPatch {
  labels?: MapPatch;
  annotations?: MapPatch;
}

/** Encodes a key set as the bookkeeping annotation value: sorted, comma-separated. */
export function encodeKeys(keys: Iterable<string>): string {
  return [...keys].sort().join(",");
}

/** Decodes a bookkeeping annotation value; absent or empty means no keys. */
export function decodeKeys(value: string | undefined): string[] {
  if (value === undefined || value === "") return [];
  return value
    .split(",")
    .map(k => k.trim())
    .filter(k => k !== "");
}

function pick(
  source: Readonly<Record<string, string>>,
  skip: (key: string) => boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (!skip(key)) out[key] = value;
  }
  return out;
}

/**
 * The labels and annotations the child must carry: the SWH's propagatable ones, the forced
 * labels, and the bookkeeping annotations listing the propagated keys (absent when empty).
 */
export function desiredChildMetadata(swh: Metadata): Metadata {
  const labels = pick(swh.labels, key => key in FORCED_LABELS);
  const annotations = pick(swh.annotations, key => NEVER_PROPAGATED_ANNOTATIONS.has(key));
  const bookkeeping: Record<string, string> = {};
  if (Object.keys(annotations).length > 0) {
    bookkeeping[ANNOTATION_PROPAGATED_ANNOTATIONS] = encodeKeys(Object.keys(annotations));
  }
  if (Object.keys(labels).length > 0) {
    bookkeeping[ANNOTATION_PROPAGATED_LABELS] = encodeKeys(Object.keys(labels));
  }
  return {
    labels: { ...labels, ...FORCED_LABELS },
    annotations: { ...annotations, ...bookkeeping },
  };
}

/** Keys the hook put on the child before (per its bookkeeping), which it may remove now. */
export function previouslyManagedKeys(child: Metadata): {
  labels: Set<string>;
  annotations: Set<string>;
} {
  const annotations = new Set(decodeKeys(child.annotations[ANNOTATION_PROPAGATED_ANNOTATIONS]));
  annotations.add(ANNOTATION_PROPAGATED_ANNOTATIONS);
  annotations.add(ANNOTATION_PROPAGATED_LABELS);
  const labels = new Set(decodeKeys(child.annotations[ANNOTATION_PROPAGATED_LABELS]));
  return { labels, annotations };
}

/**
 * What to change in `observed` so it carries `desired`: keys whose value differs, and `null`
 * for keys in `managed` that are no longer desired. Undefined when nothing changes. Keys
 * neither desired nor managed are someone else's and are left alone.
 */
export function diffMap(
  desired: Readonly<Record<string, string>>,
  observed: Readonly<Record<string, string>>,
  managed: ReadonlySet<string>,
): MapPatch | undefined {
  const patch: MapPatch = {};
  for (const [key, value] of Object.entries(desired)) {
    if (observed[key] !== value) patch[key] = value;
  }
  for (const key of managed) {
    if (!(key in desired) && key in observed) patch[key] = null;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/**
 * Merge-patch fragment that brings the child's labels and annotations in line with the SWH;
 * undefined when they already are.
 */
export function childMetadataPatch(swh: Metadata, child: Metadata): MetadataPatch | undefined {
  const desired = desiredChildMetadata(swh);
  const managed = previouslyManagedKeys(child);
  const labels = diffMap(desired.labels, child.labels, managed.labels);
  const annotations = diffMap(desired.annotations, child.annotations, managed.annotations);
  if (labels === undefined && annotations === undefined) return undefined;
  return {
    ...(labels === undefined ? {} : { labels }),
    ...(annotations === undefined ? {} : { annotations }),
  };
}
