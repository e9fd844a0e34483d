// Turns a run's binding contexts into the handler's snapshots: first the raw items per binding
// (from the last context carrying `snapshots`, or from Synchronization/Event contexts of
// bindings without them), then the typed items produced by each binding's `filter`.

import { isJsonObject } from "./json.js";
import type { JsonValue } from "./types/basics.js";
import type {
  BindingContext,
  EventContext,
  RawSnapshotItem,
  RawSnapshots,
} from "./types/binding-contexts.js";
import type { KubernetesBindings } from "./types/bindings.js";
import type { Snapshots } from "./types/hook.js";

/**
 * Raw snapshot items of every binding in `bindingNames` (empty when none arrived), walking the
 * contexts in order:
 * - a context's `snapshots` replace what is known for each binding they name;
 * - a Synchronization context for a binding it carries no snapshot of sets that binding to its
 *   `objects`;
 * - an Event context for such a binding applies the event (upsert by namespace/name, or
 *   removal) to what is known.
 */
export function collectRawSnapshots(
  contexts: readonly BindingContext[],
  bindingNames: readonly string[],
): RawSnapshots {
  const result: Record<string, readonly RawSnapshotItem[]> = {};
  for (const name of bindingNames) result[name] = [];
  for (const context of contexts) {
    if (context.snapshots) Object.assign(result, context.snapshots);
    if (context.snapshots && Object.hasOwn(context.snapshots, context.binding)) continue;
    if (context.type === "Synchronization") result[context.binding] = context.objects;
    if (context.type === "Event")
      result[context.binding] = applyEvent(result[context.binding] ?? [], context);
  }
  return result;
}

function applyEvent(items: readonly RawSnapshotItem[], event: EventContext): RawSnapshotItem[] {
  const item: RawSnapshotItem = {
    ...(event.object ? { object: event.object } : {}),
    ...(event.filterResult !== undefined ? { filterResult: event.filterResult } : {}),
  };
  const key = itemKey(item);
  const rest = key === undefined ? [...items] : items.filter(other => itemKey(other) !== key);
  return event.watchEvent === "Deleted" ? rest : [...rest, item];
}

/** `namespace/name` of an item, from its object or an object-shaped filterResult. */
export function itemKey(item: RawSnapshotItem): string | undefined {
  const source: JsonValue | undefined = item.object ?? item.filterResult;
  if (!isJsonObject(source)) return undefined;
  const metadata = source["metadata"];
  if (!isJsonObject(metadata) || typeof metadata["name"] !== "string") return undefined;
  const namespace = typeof metadata["namespace"] === "string" ? metadata["namespace"] : "";
  return `${namespace}/${metadata["name"]}`;
}

/** What the operator delivers for an item: `filterResult` when present, else `object`. */
export function itemContent(item: RawSnapshotItem): unknown {
  return Object.hasOwn(item, "filterResult") ? item.filterResult : item.object;
}

/**
 * Applies each binding's `filter` to its raw items; `undefined` results are dropped. Without a
 * filter, the content itself is the item (absent content is dropped). A throwing filter fails
 * the run with the binding and index in the message.
 */
export function filterSnapshots<B extends KubernetesBindings>(
  bindings: B,
  raw: RawSnapshots,
): Snapshots<B> {
  const result: Record<string, unknown[]> = {};
  for (const [name, binding] of Object.entries(bindings)) {
    const filter = binding.filter;
    const out: unknown[] = [];
    (raw[name] ?? []).forEach((item, index) => {
      const content = itemContent(item);
      const value: unknown = filter ? runFilter(filter, content, name, index) : content;
      if (value !== undefined) out.push(value);
    });
    result[name] = out;
  }
  return result as Snapshots<B>;
}

function runFilter(
  filter: (input: unknown) => unknown,
  content: unknown,
  binding: string,
  index: number,
): unknown {
  try {
    return filter(content);
  } catch (cause) {
    throw new Error(`filter of binding "${binding}" failed on item ${index}`, { cause });
  }
}
