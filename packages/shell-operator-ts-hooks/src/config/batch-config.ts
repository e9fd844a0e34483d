// Serialises hooks to the `hook config` document of addon-operator's batch protocol: module-sdk's
// BatchHookConfig (`{"version":"v1","hooks":[HookConfig...],"readiness"?}`), whose field names
// and encodings come from module-sdk pkg/hook/dto.go (see README "Batch protocol findings").
// Notable encodings: `executeHookOnEvent` is a bool, `settings.executionMinInterval` is an
// integer of nanoseconds, lifecycle orders are `beforeHelm`/`afterHelm`/`afterDeleteHelm`.
// addon-operator groups every binding into `main` and drops full objects unless told otherwise,
// so a binding without jqFilter gets `jqFilter: "."` to keep its items' data.

import { parseGoDuration } from "./duration.js";
import { configOf } from "../hook.js";
import type {
  HookConfig,
  KubernetesBinding,
  KubernetesBindings,
  WatchEventType,
} from "../types/bindings.js";
import type { AnyHook } from "../types/hook.js";
import type { BatchOptions } from "../types/transport.js";

/** One entry of `hooks` (module-sdk `HookConfig` JSON). */
export interface BatchHookEntry {
  readonly configVersion: "v1";
  readonly metadata: { readonly name: string; readonly path: string };
  readonly schedule?: readonly { name?: string; crontab: string; queue?: string }[];
  readonly kubernetes?: readonly Record<string, unknown>[];
  readonly onStartup?: number;
  readonly beforeHelm?: number;
  readonly afterHelm?: number;
  readonly beforeDeleteHelm?: number;
  readonly afterDeleteHelm?: number;
  readonly allowFailure?: boolean;
  readonly settings?: { executionMinInterval?: number; executionBurst?: number };
}

/** The `hook config` document. */
export interface BatchHookConfigJson {
  readonly version: "v1";
  readonly hooks: readonly BatchHookEntry[];
  readonly readiness?: BatchHookEntry;
}

/** jqFilter emitted for bindings without one, so items keep their data (see file header). */
export const DEFAULT_BATCH_JQ_FILTER = ".";

const ALL_EVENTS: readonly WatchEventType[] = ["Added", "Modified", "Deleted"];

/** The `hook config` output for `hooks` (index in the array = index for `hook run N`). */
export function toBatchHookConfig(
  hooks: readonly AnyHook[],
  options: BatchOptions = {},
): BatchHookConfigJson {
  const doc: { version: "v1"; hooks: BatchHookEntry[]; readiness?: BatchHookEntry } = {
    version: "v1",
    hooks: hooks.map(hook => toEntry(configOf(hook))),
  };
  if (options.readiness) doc.readiness = readinessEntry(options.readiness.intervalSeconds ?? 1);
  return doc;
}

/** What the batch encoding cannot express for `hooks`, one message per loss. */
export function batchConfigWarnings(hooks: readonly AnyHook[]): string[] {
  return hooks.flatMap(hook => hookWarnings(configOf(hook)));
}

function hookWarnings(config: HookConfig<KubernetesBindings>): string[] {
  const where = `hook ${config.name}`;
  const warnings: string[] = [];
  if (config.onBeforeDeleteHelm !== undefined) {
    warnings.push(
      `${where}: beforeDeleteHelm is not in module-sdk's HookConfig; older addon-operator ignores it`,
    );
  }
  for (const binding of Object.values(config.kubernetes ?? {})) {
    warnings.push(...bindingWarnings(`${where}/${binding.name}`, binding));
  }
  for (const s of config.schedule ?? []) {
    if (s.allowFailure !== undefined || s.includeSnapshotsFrom || s.group !== undefined) {
      warnings.push(
        `${where}: schedule ${s.crontab}: allowFailure/includeSnapshotsFrom/group are not in the batch encoding`,
      );
    }
  }
  return warnings;
}

function bindingWarnings(where: string, binding: KubernetesBinding): string[] {
  const warnings: string[] = [];
  const events = binding.executeHookOnEvent;
  if (events && events.length > 0 && events.length < ALL_EVENTS.length) {
    warnings.push(`${where}: executeHookOnEvent subset becomes all events (batch encodes a bool)`);
  }
  if (binding.group !== undefined)
    warnings.push(`${where}: group is ignored (batch groups all into "main")`);
  return warnings;
}

function toEntry(config: HookConfig<KubernetesBindings>): BatchHookEntry {
  const entry: Record<string, unknown> = {
    configVersion: "v1",
    metadata: { name: config.name, path: config.name },
  };
  if (config.schedule?.length) {
    entry["schedule"] = config.schedule.map(s =>
      defined({ name: s.name, crontab: s.crontab, queue: s.queue ?? config.queue }),
    );
  }
  const bindings = Object.values(config.kubernetes ?? {});
  if (bindings.length > 0) entry["kubernetes"] = bindings.map(b => kubernetesEntry(b, config));
  Object.assign(
    entry,
    defined({
      onStartup: config.onStartup,
      beforeHelm: config.onBeforeHelm,
      afterHelm: config.onAfterHelm,
      beforeDeleteHelm: config.onBeforeDeleteHelm,
      afterDeleteHelm: config.onAfterDeleteHelm,
      allowFailure: config.allowFailure,
    }),
  );
  if (config.settings) entry["settings"] = settingsEntry(config);
  return entry as unknown as BatchHookEntry;
}

function kubernetesEntry(
  binding: KubernetesBinding,
  config: HookConfig<KubernetesBindings>,
): Record<string, unknown> {
  const keepFull = binding.keepFullObjectsInMemory === true && binding.jqFilter === undefined;
  return defined({
    name: binding.name,
    apiVersion: binding.apiVersion,
    kind: binding.kind,
    nameSelector: clone(binding.nameSelector),
    namespace: clone(binding.namespace),
    labelSelector: clone(binding.labelSelector),
    fieldSelector: clone(binding.fieldSelector),
    executeHookOnEvent: binding.executeHookOnEvent?.length === 0 ? false : undefined,
    executeHookOnSynchronization: binding.executeHookOnSynchronization,
    waitForSynchronization: binding.waitForSynchronization,
    keepFullObjectsInMemory: keepFull,
    jqFilter: keepFull ? undefined : (binding.jqFilter ?? DEFAULT_BATCH_JQ_FILTER),
    allowFailure: binding.allowFailure ?? config.allowFailure,
    resynchronizationPeriod: binding.resynchronizationPeriod,
    includeSnapshotsFrom: clone(binding.includeSnapshotsFrom),
    queue: binding.queue ?? config.queue,
  });
}

function settingsEntry(config: HookConfig<KubernetesBindings>): Record<string, unknown> {
  const interval = config.settings?.executionMinInterval;
  let nanos: number | undefined;
  if (interval !== undefined) {
    try {
      nanos = parseGoDuration(interval);
    } catch (cause) {
      throw new Error(`hook ${config.name}: settings.executionMinInterval`, { cause });
    }
  }
  return defined({ executionMinInterval: nanos, executionBurst: config.settings?.executionBurst });
}

/** A schedule-only entry running the readiness probe every `seconds` (6-field crontab). */
function readinessEntry(seconds: number): BatchHookEntry {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 59) {
    throw new Error(`readiness interval must be an integer in 1..59 seconds, got ${seconds}`);
  }
  return {
    configVersion: "v1",
    metadata: { name: "readiness", path: "readiness" },
    schedule: [{ name: "readiness", crontab: `*/${seconds} * * * * *` }],
  };
}

function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

/** `source` without its undefined values. */
function defined(source: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined));
}
