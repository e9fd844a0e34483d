// The values a hook reads and changes (`$VALUES_PATH`, `$CONFIG_VALUES_PATH`) and the values
// patch operations it records.

import type { JsonObject, JsonValue } from "./basics.js";

/** One values patch operation, as addon-operator accepts it (`replace` is rejected there). */
export interface ValuesPatchOp {
  readonly op: "add" | "remove";
  /** JSON pointer; its first segment is the module's camelCase name (or `global`). */
  readonly path: string;
  readonly value?: JsonValue;
}

/**
 * Values by path. Paths are dot paths from the root of the values document, the module key
 * included (`serviceWithHealthchecks.internal.x`); `\.` escapes a dot in a key; a path starting
 * with `/` is read as a JSON pointer. `set`/`remove` update the in-memory document and record
 * a values patch.
 */
export interface Values {
  /** The value at `path`, or `undefined`. */
  get(path: string): JsonValue | undefined;
  /** True when `path` exists (even if its value is `null`). */
  has(path: string): boolean;
  /** Sets `path` (creating missing parent objects) and records `add` operations. */
  set(path: string, value: JsonValue): void;
  /** Removes `path` if it exists and records a `remove` operation; no-op otherwise. */
  remove(path: string): void;
  /** The current document (after `set`/`remove`), read-only. */
  document(): Readonly<JsonObject>;
  /** The recorded patch, in order. */
  patches(): readonly ValuesPatchOp[];
}
