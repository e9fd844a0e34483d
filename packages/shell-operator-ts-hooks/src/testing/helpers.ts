// Test helpers: build a hook's input from plain fixtures ("given these snapshots") and run the
// handler in memory ("expect these operations"), through the same code path the transports use.
// Re-exported from the package root; kept free of test-only dependencies so production bundles
// stay small.

import { createLogger } from "../logger.js";
import { collectedOutput, createHookInput } from "../run.js";
import type { JsonObject } from "../types/basics.js";
import type { BindingContext, RawSnapshotItem } from "../types/binding-contexts.js";
import type { KubernetesBinding, KubernetesBindings } from "../types/bindings.js";
import type { GivenState } from "../types/given-state.js";
import type { Hook, HookInput } from "../types/hook.js";
import type { LogRecord } from "../types/logging.js";
import type { HookRunResult } from "../types/transport.js";

/**
 * Builds a handler input. Each given snapshot entry is what the operator would deliver: it
 * becomes `filterResult` when the binding has a jqFilter, else `object`, and then goes through
 * the binding's `filter`. Without `given.contexts`, the run looks like a batch run: one Group
 * context `main` carrying every binding's snapshot. Logs go nowhere (see runHookForTest).
 */
export function buildInput<B extends KubernetesBindings>(
  hook: Hook<B>,
  given: GivenState<B> = {},
): HookInput<B> {
  return buildWithLogs(hook, given, () => undefined);
}

function buildWithLogs<B extends KubernetesBindings>(
  hook: Hook<B>,
  given: GivenState<B>,
  write: (line: string) => void,
): HookInput<B> {
  const values = given.values ?? {};
  const moduleKey = given.moduleKey ?? firstModuleKey(values);
  return createHookInput(hook, {
    contexts: given.contexts ?? [groupContext(hook, given)],
    values,
    configValues: given.configValues ?? {},
    ...(moduleKey !== undefined ? { moduleKey } : {}),
    now: given.now ?? new Date(),
    logger: createLogger({ write, level: "debug", fields: { hook: hook.config.name } }),
  });
}

/** Runs the handler on the given state and returns everything it collected, logs included. */
export async function runHookForTest<B extends KubernetesBindings>(
  hook: Hook<B>,
  given: GivenState<B> = {},
): Promise<HookRunResult> {
  const logs: LogRecord[] = [];
  const input = buildWithLogs(hook, given, line => logs.push(JSON.parse(line) as LogRecord));
  await hook.handler(input);
  return { ...collectedOutput(input), logs };
}

function groupContext<B extends KubernetesBindings>(
  hook: Hook<B>,
  given: GivenState<B>,
): BindingContext {
  const snapshots: Record<string, RawSnapshotItem[]> = {};
  const givenItems: Partial<Record<string, readonly unknown[]>> = given.snapshots ?? {};
  const bindings: [string, KubernetesBinding][] = Object.entries(hook.config.kubernetes ?? {});
  for (const [name, binding] of bindings) {
    const items = givenItems[name] ?? [];
    snapshots[name] = items.map(item => rawItem(binding, item, name));
  }
  return { type: "Group", binding: bindings[0]?.[0] ?? "main", groupName: "main", snapshots };
}

function rawItem(binding: KubernetesBinding, item: unknown, name: string): RawSnapshotItem {
  const value = structuredClone(item) as RawSnapshotItem["filterResult"];
  if (binding.jqFilter !== undefined) return { filterResult: value ?? null };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`snapshot items of binding "${name}" (no jqFilter) must be objects`);
  }
  return { object: value };
}

function firstModuleKey(values: JsonObject): string | undefined {
  return Object.keys(values).find(key => key !== "global");
}
