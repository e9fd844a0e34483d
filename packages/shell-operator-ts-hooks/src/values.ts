// Values by path with a recorded JSON patch: the hook reads and edits an in-memory copy of
// $VALUES_PATH / $CONFIG_VALUES_PATH, and every edit becomes an RFC 6902 `add`/`remove`
// operation in the form addon-operator accepts (reference B.2: no `replace`, paths rooted at
// the module's camelCase key).

import type { JsonObject, JsonValue } from "./types/basics.js";
import type { Values, ValuesPatchOp } from "./types/values.js";

/** Options of a values document. */
export interface ValuesOptions {
  /** When set, `set`/`remove` reject paths whose first segment is another key. */
  rootKey?: string;
}

/**
 * The values key of a module: its kebab-case name in lower camelCase
 * (`service-with-healthchecks` → `serviceWithHealthchecks`), as addon-operator derives it.
 */
export function moduleValuesKey(moduleName: string): string {
  return moduleName
    .replace(/^\d+-/, "")
    .replace(/[-_]+([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase())
    .replace(/^[A-Z]/, c => c.toLowerCase());
}

/** Splits a dot path (`a.b\.c.0`) or JSON pointer (`/a/b.c/0`) into segments. */
export function parsePath(path: string): string[] {
  if (path.startsWith("/")) {
    return path
      .slice(1)
      .split("/")
      .map(s => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  }
  const segments: string[] = [];
  let current = "";
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === "\\" && path[i + 1] === ".") {
      current += ".";
      i++;
    } else if (ch === ".") {
      segments.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  segments.push(current);
  if (segments.some(s => s === "")) throw new Error(`invalid values path ${JSON.stringify(path)}`);
  return segments;
}

/** Segments → JSON pointer (RFC 6901 escaping). */
export function toPointer(segments: readonly string[]): string {
  return segments.map(s => `/${s.replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

/** A values document over a deep copy of `initial`. */
export function createValues(initial: JsonObject, options: ValuesOptions = {}): Values {
  const doc = structuredClone(initial);
  const ops: ValuesPatchOp[] = [];
  const checkRoot = (segments: readonly string[], path: string): void => {
    if (options.rootKey !== undefined && segments[0] !== options.rootKey) {
      throw new Error(`values path ${JSON.stringify(path)} must start with "${options.rootKey}"`);
    }
  };
  return {
    get: path => lookup(doc, parsePath(path)).value,
    has: path => lookup(doc, parsePath(path)).found,
    set: (path, value) => {
      const segments = parsePath(path);
      checkRoot(segments, path);
      setAt(doc, segments, structuredClone(value), ops);
    },
    remove: path => {
      const segments = parsePath(path);
      checkRoot(segments, path);
      removeAt(doc, segments, ops);
    },
    document: () => doc,
    patches: () => ops.slice(),
  };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function childOf(container: JsonValue | undefined, key: string): JsonValue | undefined {
  if (Array.isArray(container)) return /^\d+$/.test(key) ? container[Number(key)] : undefined;
  if (isObject(container) && Object.hasOwn(container, key)) return container[key];
  return undefined;
}

function lookup(
  doc: JsonObject,
  segments: readonly string[],
): { found: boolean; value?: JsonValue } {
  let current: JsonValue | undefined = doc;
  for (const key of segments) {
    current = childOf(current, key);
    if (current === undefined) return { found: false };
  }
  return { found: true, value: current };
}

function setAt(
  doc: JsonObject,
  segments: readonly string[],
  value: JsonValue,
  ops: ValuesPatchOp[],
): void {
  let parent: JsonObject = doc;
  for (let i = 0; i < segments.length - 1; i++) {
    const key = segments[i] as string;
    const next: JsonValue | undefined = parent[key];
    if (next === undefined) {
      parent[key] = {};
      ops.push({ op: "add", path: toPointer(segments.slice(0, i + 1)), value: {} });
    } else if (!isObject(next)) {
      const at = toPointer(segments.slice(0, i + 1));
      throw new Error(`cannot set ${toPointer(segments)}: ${at} is not an object`);
    }
    parent = parent[key] as JsonObject;
  }
  parent[segments[segments.length - 1] as string] = value;
  ops.push({ op: "add", path: toPointer(segments), value: structuredClone(value) });
}

function removeAt(doc: JsonObject, segments: readonly string[], ops: ValuesPatchOp[]): void {
  const parent = lookup(doc, segments.slice(0, -1));
  const key = segments[segments.length - 1] as string;
  if (!parent.found || !isObject(parent.value) || !Object.hasOwn(parent.value, key)) return;
  delete parent.value[key];
  ops.push({ op: "remove", path: toPointer(segments) });
}
