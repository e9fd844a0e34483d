// Turns a batch hooks executable's `hook config` document into what the operator stand-in runs:
// per hook its lifecycle orders, schedules, and kubernetes bindings with their list/watch
// selectors — after addon-operator's remap of batch configs (every binding grouped into "main",
// full objects dropped, `executeHookOnEvent: false` meaning "snapshot only"). Pure, so the
// selector translation is unit-tested.
import type { BatchHookConfigJson, BatchHookEntry } from "shell-operator-ts-hooks";

/** A label selector as the protocol writes it. */
interface LabelSelectorJson {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }[];
}

/** One kubernetes binding, ready to list and watch. */
export interface BindingSpec {
  readonly name: string;
  readonly apiVersion: string;
  readonly kind: string;
  /** Namespaces to watch; undefined = every namespace (or cluster-scoped). */
  readonly namespaces?: readonly string[];
  /** `labelSelector` query value. */
  readonly labelSelector?: string;
  /** `fieldSelector` query value (field expressions plus a single-name nameSelector). */
  readonly fieldSelector?: string;
  /** Names to keep when the nameSelector lists several (filtered on our side). */
  readonly names?: readonly string[];
  readonly jqFilter?: string;
  /** Run the hook on Added/Modified/Deleted events. */
  readonly executeOnEvent: boolean;
  /** Run the hook once the binding is synchronised. */
  readonly executeOnSynchronization: boolean;
}

/** One schedule binding. */
export interface ScheduleSpec {
  readonly name: string;
  readonly crontab: string;
}

/** One hook of the executable. */
export interface HookSpec {
  /** Index for `hook run <index>`. */
  readonly index: number;
  readonly name: string;
  readonly onStartup?: number;
  readonly beforeHelm?: number;
  readonly afterHelm?: number;
  readonly afterDeleteHelm?: number;
  readonly schedules: readonly ScheduleSpec[];
  readonly bindings: readonly BindingSpec[];
  /** Rate limit (settings.executionMinInterval, ms); 0 = none. */
  readonly minIntervalMs: number;
  /** Token bucket size (settings.executionBurst). */
  readonly burst: number;
  readonly allowFailure: boolean;
}

/** `key=value,key2 in (a,b),!key3` from a protocol label selector. */
export function labelSelectorString(selector: LabelSelectorJson | undefined): string | undefined {
  if (!selector) return undefined;
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = (e.values ?? []).join(",");
    switch (e.operator) {
      case "In":
        parts.push(`${e.key} in (${values})`);
        break;
      case "NotIn":
        parts.push(`${e.key} notin (${values})`);
        break;
      case "Exists":
        parts.push(e.key);
        break;
      case "DoesNotExist":
        parts.push(`!${e.key}`);
        break;
      default:
        throw new Error(`label selector operator ${JSON.stringify(e.operator)} is not supported`);
    }
  }
  return parts.length > 0 ? parts.join(",") : undefined;
}

const FIELD_OPERATORS: Readonly<Record<string, string>> = {
  "=": "=",
  "==": "==",
  Equals: "=",
  "!=": "!=",
  NotEquals: "!=",
};

function fieldSelectorString(
  binding: Record<string, unknown>,
  names: readonly string[],
): string | undefined {
  const parts: string[] = [];
  const fs = binding.fieldSelector as
    { matchExpressions?: { field: string; operator: string; value: string }[] } | undefined;
  for (const e of fs?.matchExpressions ?? []) {
    const op = FIELD_OPERATORS[e.operator];
    if (!op)
      throw new Error(`field selector operator ${JSON.stringify(e.operator)} is not supported`);
    parts.push(`${e.field}${op}${e.value}`);
  }
  if (names.length === 1) parts.push(`metadata.name=${names[0]}`);
  return parts.length > 0 ? parts.join(",") : undefined;
}

/** `executeHookOnEvent`: a bool in the batch encoding, a list in shell-operator's. */
function executesOnEvent(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value === "boolean") return value;
  return Array.isArray(value) && value.length > 0;
}

/** Parses one kubernetes binding of a batch hook entry. */
export function bindingSpec(raw: Record<string, unknown>, hook: string): BindingSpec {
  const name = typeof raw.name === "string" ? raw.name : "";
  const kind = typeof raw.kind === "string" ? raw.kind : "";
  if (name === "" || kind === "")
    throw new Error(`hook ${hook}: a kubernetes binding needs name and kind`);
  const names = (
    (raw.nameSelector as { matchNames?: string[] } | undefined)?.matchNames ?? []
  ).filter(Boolean);
  const namespaces = (raw.namespace as { nameSelector?: { matchNames?: string[] } } | undefined)
    ?.nameSelector?.matchNames;
  if ((raw.namespace as { labelSelector?: unknown } | undefined)?.labelSelector !== undefined) {
    throw new Error(`hook ${hook}/${name}: namespace.labelSelector is not supported here`);
  }
  const labelSelector = labelSelectorString(raw.labelSelector as LabelSelectorJson | undefined);
  const fieldSelector = fieldSelectorString(raw, names);
  return {
    name,
    apiVersion: typeof raw.apiVersion === "string" ? raw.apiVersion : "v1",
    kind,
    ...(namespaces && namespaces.length > 0 ? { namespaces } : {}),
    ...(labelSelector ? { labelSelector } : {}),
    ...(fieldSelector ? { fieldSelector } : {}),
    ...(names.length > 1 ? { names } : {}),
    ...(typeof raw.jqFilter === "string" && raw.jqFilter !== "" ? { jqFilter: raw.jqFilter } : {}),
    executeOnEvent: executesOnEvent(raw.executeHookOnEvent ?? raw.watchEvent),
    executeOnSynchronization: raw.executeHookOnSynchronization !== false,
  };
}

function hookSpec(entry: BatchHookEntry, index: number): HookSpec {
  const name = entry.metadata?.name ?? `hook-${index}`;
  const minIntervalNs = entry.settings?.executionMinInterval ?? 0;
  return {
    index,
    name,
    ...(entry.onStartup !== undefined ? { onStartup: entry.onStartup } : {}),
    ...(entry.beforeHelm !== undefined ? { beforeHelm: entry.beforeHelm } : {}),
    ...(entry.afterHelm !== undefined ? { afterHelm: entry.afterHelm } : {}),
    ...(entry.afterDeleteHelm !== undefined ? { afterDeleteHelm: entry.afterDeleteHelm } : {}),
    schedules: (entry.schedule ?? []).map((s, i) => ({
      name: s.name ?? `schedule-${i}`,
      crontab: s.crontab,
    })),
    bindings: (entry.kubernetes ?? []).map(b => bindingSpec(b, name)),
    minIntervalMs: Math.round(minIntervalNs / 1e6),
    burst: Math.max(1, entry.settings?.executionBurst ?? 1),
    allowFailure: entry.allowFailure === true,
  };
}

/** Parses the `hook config` output (JSON) of a batch hooks executable. */
export function parseBatchConfig(text: string): HookSpec[] {
  let doc: BatchHookConfigJson;
  try {
    doc = JSON.parse(text) as BatchHookConfigJson;
  } catch (err) {
    throw new Error("`hook config` did not print JSON", { cause: err });
  }
  if (doc.version !== "v1" || !Array.isArray(doc.hooks)) {
    throw new Error(`\`hook config\` printed an unknown document (version ${String(doc.version)})`);
  }
  return doc.hooks.map(hookSpec);
}

/** Hooks with a lifecycle binding, in the order addon-operator runs them (order, then index). */
export function lifecycleOrder(
  hooks: readonly HookSpec[],
  binding: "onStartup" | "beforeHelm" | "afterHelm" | "afterDeleteHelm",
): HookSpec[] {
  return hooks
    .filter(h => h[binding] !== undefined)
    .sort((a, b) => (a[binding] ?? 0) - (b[binding] ?? 0) || a.index - b.index);
}
