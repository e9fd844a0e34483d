// Readers for JSON of unknown shape (snapshot items, stored statuses, jq output): each returns
// the value when it has the expected type, else undefined (or an empty default), so snapshot
// filters validate objects field by field without throwing. Shared by every hook's filters.

/** Plain object (not array, not null) or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The elements of an array, or an empty array for anything that is not one. */
export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** `obj[key]` as a plain object; `{}` when `obj` is not an object or the field is not one. */
export function recordAt(obj: unknown, key: string): Record<string, unknown> {
  return asRecord(asRecord(obj)?.[key]) ?? {};
}

/** Non-empty string or undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Finite number or undefined. */
export function asNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** Boolean or undefined. */
export function asBoolean(value: unknown): boolean | undefined {
  return typeof value === "boolean" ? value : undefined;
}

/** The string elements of an array (others dropped), or undefined when not an array. */
export function asStringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : undefined;
}

/**
 * A map of string values (non-string values and the `skip` key dropped); `{}` for anything that
 * is not a map.
 */
export function asStringMap(value: unknown, skip?: string): Record<string, string> {
  const record = asRecord(value);
  const out: Record<string, string> = {};
  if (record === undefined) return out;
  for (const key in record) {
    const v = record[key];
    if (typeof v === "string" && key !== skip) out[key] = v;
  }
  return out;
}

/** Int-or-string (a port number or a port name), or undefined. */
export function asIntOrString(value: unknown): number | string | undefined {
  return asNumber(value) ?? asString(value);
}

/**
 * Copies the entries whose value is not undefined, so snapshots carry no `key: undefined`.
 * A plain `for...in` loop: this runs for every field of every snapshot item (10,000s per run),
 * and `Object.entries` would allocate an array per key.
 */
export function compact<T extends object>(value: T): T {
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key in source) {
    const v = source[key];
    if (v !== undefined) out[key] = v;
  }
  return out as T;
}

/**
 * Structural equality of JSON-like values: same primitives, same array elements in order, same
 * object keys (a key whose value is undefined counts as absent).
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) return arraysEqual(a, b);
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const key of keys) {
    if (!jsonEqual(ra[key], rb[key])) return false;
  }
  return true;
}

function arraysEqual(a: object, b: object): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  return a.every((item, i) => jsonEqual(item, b[i]));
}
