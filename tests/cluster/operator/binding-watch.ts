// One kubernetes binding of a hook, live: list+watch (one informer per watched namespace, or one
// cluster-wide), each object passed through the binding's jqFilter, and the binding's snapshot
// (items sorted by namespace and name, `filterResult` only, as with keepFullObjectsInMemory:
// false). A change notifies the hook unless the binding is snapshot-only, and a Modified event
// whose filter result did not change is dropped, as shell-operator does.
import { Reflector, type ReflectorEvent } from "../../../images/agent/src/kube/reflector.js";
import type { KubeRest } from "../../../images/agent/src/kube/rest.js";
import type { Logger } from "../../../images/agent/src/log.js";
import { describeError } from "../../../images/agent/src/kube/errors.js";
import { collectionPath, type Discovery } from "./discovery.js";
import type { BindingSpec } from "./hook-specs.js";
import { JqFilter } from "./jq.js";

/** One snapshot item as the binding context carries it. */
export interface SnapshotItem {
  readonly filterResult?: unknown;
  readonly object?: unknown;
}

interface Entry {
  readonly namespace: string;
  readonly name: string;
  readonly item: SnapshotItem;
  /** JSON of the item, to detect real changes. */
  readonly json: string;
}

/** Raw object metadata the watch needs. */
interface Meta {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
}

/** Options of a BindingWatch. */
export interface BindingWatchOptions {
  readonly spec: BindingSpec;
  readonly rest: KubeRest;
  readonly discovery: Discovery;
  readonly log: Logger;
  readonly jqPath: string;
  /** Called after a change that should run the hook (only once synchronised). */
  readonly onChange: (binding: string) => void;
}

/** Sorts entries by namespace, then name (shell-operator's snapshot order). */
export function compareEntries(a: { namespace: string; name: string }, b: typeof a): number {
  return a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
}

/** A live binding (see file header). */
export class BindingWatch {
  readonly #o: BindingWatchOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #reflectors: Reflector<unknown>[] = [];
  readonly #jq: JqFilter | undefined;
  #chain: Promise<void> = Promise.resolve();
  #synced = false;

  constructor(options: BindingWatchOptions) {
    this.#o = options;
    this.#jq = options.spec.jqFilter
      ? new JqFilter(options.spec.jqFilter, options.jqPath)
      : undefined;
  }

  /** The binding's name. */
  get name(): string {
    return this.#o.spec.name;
  }

  /** Starts the informers and resolves once every one listed and every object was filtered. */
  async start(timeoutMs: number): Promise<void> {
    const { spec, discovery, rest, log } = this.#o;
    const info = await discovery.resolve(spec.apiVersion, spec.kind, timeoutMs);
    const namespaces = info.namespaced && spec.namespaces ? spec.namespaces : [undefined];
    for (const namespace of namespaces) {
      const reflector = new Reflector<unknown>({
        name: `${spec.name}${namespace ? `@${namespace}` : ""}`,
        rest,
        resource: info.plural,
        path: collectionPath(info, namespace),
        ...(spec.labelSelector ? { labelSelector: spec.labelSelector } : {}),
        ...(spec.fieldSelector ? { fieldSelector: spec.fieldSelector } : {}),
        transform: raw => this.#keep(raw),
        relistIntervalMs: 10 * 60_000,
        log,
      });
      reflector.on(event => this.#enqueue(event));
      this.#reflectors.push(reflector);
      reflector.start();
    }
    for (const reflector of this.#reflectors) {
      if (!(await reflector.waitForSync(timeoutMs))) {
        throw new Error(`binding ${spec.name}: ${spec.kind} not listed within ${timeoutMs} ms`, {
          cause: reflector.lastError,
        });
      }
    }
    await this.#chain;
    this.#synced = true;
  }

  /** Stops the informers and the jq process. */
  async stop(): Promise<void> {
    await Promise.all(this.#reflectors.map(r => r.stop()));
    await this.#chain;
    this.#jq?.close();
  }

  /** The current snapshot, sorted by namespace and name. */
  snapshot(): SnapshotItem[] {
    return [...this.#entries.values()].sort(compareEntries).map(e => e.item);
  }

  #keep(raw: unknown): unknown {
    const name = (raw as Meta).metadata?.name ?? "";
    if (this.#o.spec.names && !this.#o.spec.names.includes(name)) return undefined;
    return raw;
  }

  #enqueue(event: ReflectorEvent<unknown>): void {
    this.#chain = this.#chain.then(
      () => this.#process(event),
      () => this.#process(event),
    );
  }

  async #process(event: ReflectorEvent<unknown>): Promise<void> {
    let changed: boolean;
    try {
      changed =
        event.type === "delete" ? this.#entries.delete(event.key) : await this.#upsert(event);
    } catch (err) {
      this.#o.log.error("jqFilter failed; the object is left out of the snapshot", {
        binding: this.#o.spec.name,
        object: event.key,
        error: describeError(err),
      });
      changed = this.#entries.delete(event.key);
    }
    if (changed && this.#synced && this.#o.spec.executeOnEvent) this.#o.onChange(this.#o.spec.name);
  }

  async #upsert(event: ReflectorEvent<unknown>): Promise<boolean> {
    const meta = (event.object as Meta).metadata ?? {};
    const item: SnapshotItem = this.#jq
      ? { filterResult: await this.#jq.apply(event.object) }
      : { object: event.object };
    const json = JSON.stringify(item);
    if (this.#entries.get(event.key)?.json === json) return false;
    this.#entries.set(event.key, {
      namespace: meta.namespace ?? "",
      name: meta.name ?? "",
      item,
      json,
    });
    return true;
  }
}
