// Manifest data shaped as the API server hands it to CEL, for the unit tests that evaluate the
// CRD's rules with cel-js (tests/unit/crd/crd-*-rule(s).test.ts): copied into this realm,
// integers as CEL ints, and the values at a rule's schema path.

/**
 * A copy made in this realm: applyDefaults' structuredClone makes its arrays in another one under
 * jest's VM modules, and cel-js refuses those ("Unsupported type: Array").
 */
export const jsonCopy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** JSON data as the API server hands it to CEL: integer fields are CEL ints (cel-js: bigint). */
export function celInts(value: unknown): unknown {
  if (Number.isInteger(value)) return BigInt(value as number);
  if (Array.isArray(value)) return Array.from(value, celInts);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, celInts(v)]));
  }
  return value;
}

/** The values at a schema path such as `.spec.healthcheck.probes[].tcp.conversation[]`. */
export function valuesAt(root: unknown, path: string): unknown[] {
  let values: unknown[] = [root];
  for (const segment of path.split(".").filter(Boolean)) {
    const key = segment.replace(/\[\]$/, "");
    values = values
      .map(v =>
        typeof v === "object" && v !== null ? (v as Record<string, unknown>)[key] : undefined,
      )
      .filter(v => v !== undefined);
    if (segment.endsWith("[]"))
      values = values.flatMap(v => (Array.isArray(v) ? (v as unknown[]) : []));
  }
  return values;
}
