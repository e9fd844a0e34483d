// Parses $BINDING_CONTEXT_PATH, a JSON array built by shell-operator's MapV1 (and addon-operator
// for lifecycle bindings), into the typed BindingContext union. Input is untrusted: every field
// is checked and errors name the element index. Large snapshot items are kept by reference.

import { isJsonObject } from "./json.js";
import type { JsonObject } from "./types/basics.js";
import type {
  BindingContext,
  LifecycleBindingName,
  RawSnapshotItem,
  RawSnapshots,
} from "./types/binding-contexts.js";
import type { WatchEventType } from "./types/bindings.js";

const LIFECYCLE_BINDINGS: ReadonlySet<string> = new Set<LifecycleBindingName>([
  "beforeHelm",
  "afterHelm",
  "beforeDeleteHelm",
  "afterDeleteHelm",
  "beforeAll",
  "afterAll",
]);

const WATCH_EVENTS: ReadonlySet<string> = new Set<WatchEventType>(["Added", "Modified", "Deleted"]);

/**
 * Parses the binding-context array (already JSON-decoded). Throws an Error naming the index
 * of the first malformed element; webhook contexts (Validating, Mutating, Conversion) are
 * rejected because this library does not declare webhook bindings.
 */
export function parseBindingContexts(input: unknown): BindingContext[] {
  if (!Array.isArray(input)) throw new Error("binding context must be a JSON array");
  return input.map((element: unknown, index) => {
    try {
      return parseOne(element);
    } catch (cause) {
      throw new Error(`binding context [${index}] is malformed`, { cause });
    }
  });
}

function parseOne(element: unknown): BindingContext {
  if (!isJsonObject(element)) throw new Error("element is not an object");
  const binding = element["binding"];
  if (typeof binding !== "string" || binding === "") throw new Error("`binding` must be a string");
  const type = element["type"];
  if (type === undefined) return parseUntyped(binding, element);
  switch (type) {
    case "Schedule":
      return { type, binding, ...optionalSnapshots(element) };
    case "Synchronization":
      return {
        type,
        binding,
        objects: parseItems(element["objects"] ?? [], "objects"),
        ...optionalSnapshots(element),
      };
    case "Event":
      return parseEvent(binding, element);
    case "Group":
      return parseGroup(binding, element);
    default:
      throw new Error(`unsupported binding context type ${JSON.stringify(type)}`);
  }
}

/** Contexts without `type`: onStartup and the addon-operator lifecycle bindings. */
function parseUntyped(binding: string, element: JsonObject): BindingContext {
  if (binding === "onStartup") return { type: "OnStartup", binding, ...optionalSnapshots(element) };
  if (LIFECYCLE_BINDINGS.has(binding)) {
    return {
      type: "Lifecycle",
      binding: binding as LifecycleBindingName,
      ...optionalSnapshots(element),
    };
  }
  throw new Error(`binding ${JSON.stringify(binding)} has no \`type\``);
}

function parseEvent(binding: string, element: JsonObject): BindingContext {
  const watchEvent = element["watchEvent"];
  if (typeof watchEvent !== "string" || !WATCH_EVENTS.has(watchEvent)) {
    throw new Error(
      `\`watchEvent\` must be Added, Modified or Deleted, got ${JSON.stringify(watchEvent)}`,
    );
  }
  const item = parseItem(element, "event");
  return {
    type: "Event",
    binding,
    watchEvent: watchEvent as WatchEventType,
    ...item,
    ...optionalSnapshots(element),
  };
}

function parseGroup(binding: string, element: JsonObject): BindingContext {
  const groupName = element["groupName"];
  if (typeof groupName !== "string" || groupName === "")
    throw new Error("`groupName` must be a string");
  return {
    type: "Group",
    binding,
    groupName,
    snapshots: parseSnapshots(element["snapshots"] ?? {}),
  };
}

function optionalSnapshots(element: JsonObject): { snapshots?: RawSnapshots } {
  const snapshots = element["snapshots"];
  return snapshots === undefined ? {} : { snapshots: parseSnapshots(snapshots) };
}

/** `{binding: [{object?, filterResult?}]}`; a `null` list (Go nil slice) reads as empty. */
export function parseSnapshots(value: unknown): RawSnapshots {
  if (!isJsonObject(value)) throw new Error("`snapshots` must be an object");
  const result: Record<string, readonly RawSnapshotItem[]> = {};
  for (const [name, items] of Object.entries(value)) {
    result[name] = parseItems(items ?? [], `snapshots.${name}`);
  }
  return result;
}

function parseItems(value: unknown, where: string): RawSnapshotItem[] {
  if (!Array.isArray(value)) throw new Error(`\`${where}\` must be an array`);
  return value.map((item: unknown, i) => {
    if (!isJsonObject(item)) throw new Error(`\`${where}[${i}]\` must be an object`);
    return parseItem(item, `${where}[${i}]`);
  });
}

/** Keeps `object` (when an object) and `filterResult` (when present, even `null`). */
function parseItem(item: JsonObject, where: string): RawSnapshotItem {
  const object = item["object"];
  if (object !== undefined && object !== null && !isJsonObject(object)) {
    throw new Error(`\`${where}.object\` must be an object`);
  }
  return {
    ...(isJsonObject(object) ? { object } : {}),
    ...(Object.hasOwn(item, "filterResult") ? { filterResult: item["filterResult"] ?? null } : {}),
  };
}
