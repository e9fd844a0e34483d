// Binding contexts for the hooks executable, built the way the operator builds them: the hook
// configuration is read from the executable itself (`hook config`), each kubernetes binding
// selects its objects (apiVersion, kind, name, label and namespace selectors), the binding's own
// jqFilter runs over them in the real `jq`, and every binding's snapshot goes into one Group
// context (batch hooks are grouped). Filter results are cached per filter and selection, so
// hooks sharing a binding pay for jq once per state. A selector the benchmark cannot apply as
// the API server would (field selectors, namespace label selectors) stops the run rather than
// measuring a snapshot the operator would never build.

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KubeObject } from "./objects.js";

/** A kubernetes binding as `hook config` prints it (the fields the benchmark uses). */
export interface Binding {
  readonly name: string;
  readonly apiVersion?: string;
  readonly kind: string;
  readonly jqFilter?: string;
  readonly keepFullObjectsInMemory?: boolean;
  readonly nameSelector?: { matchNames?: string[] };
  readonly labelSelector?: {
    matchLabels?: Record<string, string>;
    matchExpressions?: Expression[];
  };
  readonly namespace?: { nameSelector?: { matchNames?: string[] }; labelSelector?: unknown };
  readonly fieldSelector?: unknown;
}

interface Expression {
  readonly key: string;
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  readonly values?: string[];
}

/** One hook of the executable. */
export interface HookEntry {
  readonly index: number;
  readonly name: string;
  readonly kubernetes: readonly Binding[];
}

/** The hooks of the executable with kubernetes bindings (`hook config`). */
export function hookEntries(executable: string): HookEntry[] {
  const text = execFileSync(executable, ["hook", "config"], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const config = JSON.parse(text) as {
    hooks: Array<{ metadata: { name: string }; kubernetes?: Binding[] }>;
  };
  return config.hooks
    .map((h, index) => ({ index, name: h.metadata.name, kubernetes: h.kubernetes ?? [] }))
    .filter(h => h.kubernetes.length > 0);
}

function labelsMatch(labels: Record<string, string>, selector: Binding["labelSelector"]): boolean {
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const e of selector?.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key] ?? "");
    const ok = { In: inValues, NotIn: !inValues, Exists: has, DoesNotExist: !has }[e.operator];
    if (!ok) return false;
  }
  return true;
}

/** Throws when `binding` selects objects in a way `selects` does not model. */
export function assertSupported(binding: Binding): void {
  const unsupported = [
    binding.fieldSelector === undefined ? undefined : "fieldSelector",
    binding.namespace?.labelSelector === undefined ? undefined : "namespace.labelSelector",
  ].filter(s => s !== undefined);
  if (unsupported.length > 0) {
    throw new Error(
      `binding ${binding.name} uses ${unsupported.join(", ")}, which the benchmark does not apply`,
    );
  }
}

/** Whether `object` is watched by `binding`. */
export function selects(binding: Binding, object: KubeObject): boolean {
  if (binding.kind.toLowerCase() !== object.kind.toLowerCase()) return false;
  if (binding.apiVersion !== undefined && binding.apiVersion !== object.apiVersion) return false;
  const { name, namespace = "" } = object.metadata;
  const names = binding.nameSelector?.matchNames;
  if (names !== undefined && !names.includes(name)) return false;
  const namespaces = binding.namespace?.nameSelector?.matchNames;
  if (namespaces !== undefined && !namespaces.includes(namespace)) return false;
  const labels = (object.metadata.labels ?? {}) as Record<string, string>;
  return labelsMatch(labels, binding.labelSelector);
}

function byNamespaceAndName(a: KubeObject, b: KubeObject): number {
  const na = a.metadata.namespace ?? "";
  const nb = b.metadata.namespace ?? "";
  if (na !== nb) return na < nb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** Runs `filter` over each object with the real jq; one result per object, in order. */
export function jqMap(filter: string, objects: readonly KubeObject[], scratch: string): unknown[] {
  if (objects.length === 0) return [];
  const input = join(scratch, "jq-input.json");
  writeFileSync(input, JSON.stringify(objects));
  const out = execFileSync("jq", ["-c", `.[] | (${filter})`, input], { maxBuffer: 1 << 30 });
  const lines = out
    .toString("utf8")
    .split("\n")
    .filter(line => line !== "");
  if (lines.length !== objects.length) {
    throw new Error(`jq gave ${lines.length} results for ${objects.length} objects`);
  }
  return lines.map(line => JSON.parse(line) as unknown);
}

/** Snapshot items of one binding. */
type Items = Array<{ filterResult?: unknown; object?: KubeObject }>;

/** Builds Group contexts for one state of the objects (one instance per state: it caches). */
export class ContextBuilder {
  readonly #cache = new Map<string, Items>();

  constructor(
    private readonly objects: readonly KubeObject[],
    private readonly scratch: string,
  ) {}

  /** The snapshot of `binding`. */
  snapshot(binding: Binding): Items {
    const key = JSON.stringify({ ...binding, name: undefined });
    let items = this.#cache.get(key);
    if (items === undefined) {
      assertSupported(binding);
      const selected = this.objects.filter(o => selects(binding, o)).sort(byNamespaceAndName);
      const keep = binding.keepFullObjectsInMemory !== false;
      const results =
        binding.jqFilter === undefined
          ? undefined
          : jqMap(binding.jqFilter, selected, this.scratch);
      items = selected.map((object, i) => ({
        ...(results === undefined ? {} : { filterResult: results[i] }),
        ...(keep ? { object } : {}),
      }));
      this.#cache.set(key, items);
    }
    return items;
  }

  /** The binding context array of `hook`: one Group context with every binding's snapshot. */
  context(hook: HookEntry): unknown[] {
    const snapshots: Record<string, Items> = {};
    for (const binding of hook.kubernetes) snapshots[binding.name] = this.snapshot(binding);
    const binding = hook.kubernetes[0]?.name ?? "main";
    return [{ binding, type: "Group", groupName: "main", snapshots }];
  }
}
