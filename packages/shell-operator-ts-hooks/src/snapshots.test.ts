// Which raw items the handler sees for each binding, and how `filter` turns them into typed
// items: rules from the binding-context walk (last `snapshots` win; Synchronization/Event
// contexts of bindings without snapshots supply their objects).

import { parseBindingContexts } from "./binding-context.js";
import { collectRawSnapshots, filterSnapshots, itemContent } from "./snapshots.js";
import { fixture } from "./testdata/load.js";
import type { BindingContext, RawSnapshotItem } from "./types/binding-contexts.js";
import type { KubernetesBinding } from "./types/bindings.js";

const names = (items: readonly RawSnapshotItem[]): unknown[] =>
  items.map(item => (itemContent(item) as { metadata: { name: string } }).metadata.name);

describe("collectRawSnapshots", () => {
  it("gives every declared binding an array, empty when nothing arrived", () => {
    const raw = collectRawSnapshots(parseBindingContexts(fixture("on-startup.json")), ["a", "b"]);
    expect(raw).toEqual({ a: [], b: [] });
  });

  it("takes lifecycle snapshots as they are", () => {
    const raw = collectRawSnapshots(parseBindingContexts(fixture("before-helm.json")), [
      "services",
    ]);
    expect(names(raw["services"] ?? [])).toEqual(["db"]);
  });

  it("uses Synchronization objects for a binding without snapshots", () => {
    const raw = collectRawSnapshots(parseBindingContexts(fixture("synchronization.json")), [
      "services",
    ]);
    expect(raw["services"]).toHaveLength(2);
  });

  it("applies compacted Events on top of a Synchronization (upsert, delete)", () => {
    const raw = collectRawSnapshots(parseBindingContexts(fixture("compacted.json")), ["services"]);
    const items = raw["services"] ?? [];
    expect(names(items)).toEqual(["api"]);
    expect(items[0]?.object?.["metadata"]).toMatchObject({ labels: { tier: "web" } });
  });

  it("takes a lone Event's object as the binding's snapshot", () => {
    const raw = collectRawSnapshots(parseBindingContexts(fixture("event-added.json")), [
      "services",
    ]);
    expect(names(raw["services"] ?? [])).toEqual(["cache"]);
  });

  it("prefers a context's snapshots over its own objects", () => {
    const contexts: BindingContext[] = [
      {
        type: "Synchronization",
        binding: "s",
        objects: [{ object: { metadata: { name: "from-objects" } } }],
        snapshots: { s: [{ object: { metadata: { name: "from-snapshots" } } }] },
      },
    ];
    expect(names(collectRawSnapshots(contexts, ["s"])["s"] ?? [])).toEqual(["from-snapshots"]);
  });

  it("lets the last context carrying a binding's snapshot win", () => {
    const contexts = [
      ...parseBindingContexts(fixture("group.json")),
      ...parseBindingContexts(fixture("before-helm.json")),
    ];
    expect(names(collectRawSnapshots(contexts, ["services"])["services"] ?? [])).toEqual(["db"]);
  });
});

interface Svc {
  readonly name: string;
  readonly clusterIP: string;
}

/** A filter that validates its unknown input, as bindings must. */
function filterSvc(input: unknown): Svc | undefined {
  const obj = input as { metadata?: { name?: unknown }; spec?: { clusterIP?: unknown } } | null;
  const name = obj?.metadata?.name;
  const clusterIP = obj?.spec?.clusterIP;
  return typeof name === "string" && typeof clusterIP === "string"
    ? { name, clusterIP }
    : undefined;
}

describe("filterSnapshots", () => {
  const bindings = {
    services: { name: "services", kind: "Service", jqFilter: ".", filter: filterSvc },
    nodes: { name: "nodes", kind: "Node" },
  } satisfies Record<string, KubernetesBinding<unknown>>;

  it("runs the filter on filterResult and drops undefined results", () => {
    const raw = collectRawSnapshots(parseBindingContexts(fixture("synchronization.json")), [
      "services",
      "nodes",
    ]);
    // the second item's filterResult is null: the filter drops it
    expect(filterSnapshots(bindings, raw).services).toEqual([
      { name: "api", clusterIP: "10.96.0.10" },
    ]);
  });

  it("runs the filter on the object when there is no filterResult", () => {
    const raw = {
      services: [{ object: { metadata: { name: "x" }, spec: { clusterIP: "None" } } }],
    };
    expect(filterSnapshots(bindings, raw).services).toEqual([{ name: "x", clusterIP: "None" }]);
  });

  it("passes content through unchanged without a filter", () => {
    const node = { metadata: { name: "n1" } };
    expect(filterSnapshots(bindings, { nodes: [{ object: node }, {}] }).nodes).toEqual([node]);
  });

  it("names the binding and item when a filter throws", () => {
    const throwing = {
      b: {
        name: "b",
        kind: "Pod",
        filter: (): never => {
          throw new Error("boom");
        },
      },
    };
    expect(() => filterSnapshots(throwing, { b: [{ object: {} }] })).toThrow(
      'filter of binding "b" failed on item 0',
    );
  });
});
