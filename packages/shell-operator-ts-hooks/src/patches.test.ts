// Every patch operation serialised to exactly the JSON shape shell-operator's object_patch
// accepts (reference A.5): the documented keys, optional ones only when set, nothing else.

import { toJsonLines } from "./json.js";
import { createPatchCollector } from "./patches.js";
import type { KubeObject, ObjectRef } from "./types/basics.js";

const ALLOWED_KEYS = new Set([
  "operation",
  "apiVersion",
  "kind",
  "namespace",
  "name",
  "subresource",
  "object",
  "jqFilter",
  "mergePatch",
  "jsonPatch",
  "ignoreMissingObject",
  "ignoreHookError",
]);

const service: KubeObject = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "api", namespace: "prod" },
  spec: { ports: [{ port: 80 }] },
};
const ref: ObjectRef = { apiVersion: "v1", kind: "Service", namespace: "prod", name: "api" };
const clusterRef: ObjectRef = { apiVersion: "v1", kind: "Node", name: "node-a" };

describe("createPatchCollector", () => {
  it.each([
    // plain create
    ["create", c => c.create(service), { operation: "Create", object: service }],
    // create into a subresource
    [
      "create/subresource",
      c => c.create(service, { subresource: "status" }),
      { operation: "Create", object: service, subresource: "status" },
    ],
    [
      "createOrUpdate",
      c => c.createOrUpdate(service),
      { operation: "CreateOrUpdate", object: service },
    ],
    [
      "createIfNotExists",
      c => c.createIfNotExists(service),
      { operation: "CreateIfNotExists", object: service },
    ],
    // foreground delete, namespaced
    [
      "delete",
      c => c.delete(ref),
      { operation: "Delete", apiVersion: "v1", kind: "Service", namespace: "prod", name: "api" },
    ],
    // delete with subresource
    [
      "delete/subresource",
      c => c.delete(ref, { subresource: "status" }),
      {
        operation: "Delete",
        apiVersion: "v1",
        kind: "Service",
        namespace: "prod",
        name: "api",
        subresource: "status",
      },
    ],
    // cluster-scoped: no namespace key at all
    [
      "deleteInBackground",
      c => c.deleteInBackground(clusterRef),
      { operation: "DeleteInBackground", apiVersion: "v1", kind: "Node", name: "node-a" },
    ],
    [
      "deleteNonCascading",
      c => c.deleteNonCascading({ ...ref, namespace: "" }),
      { operation: "DeleteNonCascading", apiVersion: "v1", kind: "Service", name: "api" },
    ],
    [
      "mergePatch",
      c => c.mergePatch(ref, { metadata: { labels: { a: "b" } } }),
      {
        operation: "MergePatch",
        apiVersion: "v1",
        kind: "Service",
        namespace: "prod",
        name: "api",
        mergePatch: { metadata: { labels: { a: "b" } } },
      },
    ],
    // every option set
    [
      "mergePatch/all options",
      c =>
        c.mergePatch(
          ref,
          { status: {} },
          { subresource: "status", ignoreMissingObject: true, ignoreHookError: true },
        ),
      {
        operation: "MergePatch",
        apiVersion: "v1",
        kind: "Service",
        namespace: "prod",
        name: "api",
        mergePatch: { status: {} },
        subresource: "status",
        ignoreMissingObject: true,
        ignoreHookError: true,
      },
    ],
    [
      "jsonPatch",
      c =>
        c.jsonPatch(ref, [{ op: "replace", path: "/spec/type", value: "NodePort" }], {
          ignoreMissingObject: true,
        }),
      {
        operation: "JSONPatch",
        apiVersion: "v1",
        kind: "Service",
        namespace: "prod",
        name: "api",
        jsonPatch: [{ op: "replace", path: "/spec/type", value: "NodePort" }],
        ignoreMissingObject: true,
      },
    ],
    [
      "jqPatch",
      c => c.jqPatch(clusterRef, '.metadata.labels.x = "y"', { subresource: "status" }),
      {
        operation: "JQPatch",
        apiVersion: "v1",
        kind: "Node",
        name: "node-a",
        jqFilter: '.metadata.labels.x = "y"',
        subresource: "status",
      },
    ],
    // false options are omitted, not written as false
    [
      "jqPatch/false options",
      c => c.jqPatch(clusterRef, ".", { ignoreMissingObject: false, ignoreHookError: false }),
      { operation: "JQPatch", apiVersion: "v1", kind: "Node", name: "node-a", jqFilter: "." },
    ],
  ] satisfies [string, (c: ReturnType<typeof createPatchCollector>) => void, object][])(
    "%s",
    (_name, act, expected) => {
      const collector = createPatchCollector();
      act(collector);
      const [op] = collector.operations();
      expect(op).toEqual(expected);
      expect(Object.keys(op ?? {}).every(key => ALLOWED_KEYS.has(key))).toBe(true);
      // the serialised form is exactly the expected JSON object, one line
      expect(toJsonLines(collector.operations())).toBe(`${JSON.stringify(expected)}\n`);
    },
  );

  it("keeps operations in call order and returns copies of the list", () => {
    const collector = createPatchCollector();
    collector.createOrUpdate(service);
    collector.delete(ref);
    const first = collector.operations();
    collector.deleteInBackground(clusterRef);
    expect(first.map(op => op.operation)).toEqual(["CreateOrUpdate", "Delete"]);
    expect(collector.operations()).toHaveLength(3);
  });

  it("writes JSON lines: one object per line", () => {
    const collector = createPatchCollector();
    collector.createOrUpdate(service);
    collector.delete(ref);
    const lines = toJsonLines(collector.operations()).trimEnd().split("\n");
    expect(lines.map(line => JSON.parse(line) as { operation: string })).toMatchObject([
      { operation: "CreateOrUpdate" },
      { operation: "Delete" },
    ]);
  });

  it("rejects targets without kind or name, and objects without metadata.name", () => {
    const collector = createPatchCollector();
    expect(() => collector.delete({ apiVersion: "v1", kind: "", name: "x" })).toThrow(
      /kind and name/,
    );
    expect(() =>
      collector.create({ apiVersion: "v1", kind: "Service", metadata: { name: "" } }),
    ).toThrow(/metadata.name/);
  });

  it("takes ready operations with add(), in the same shapes as its methods build", () => {
    const byMethods = createPatchCollector();
    byMethods.createIfNotExists(service);
    byMethods.mergePatch(ref, { spec: { type: "ClusterIP" } }, { ignoreMissingObject: true });
    byMethods.deleteInBackground(clusterRef);
    byMethods.jqPatch(ref, ".metadata", { subresource: "status" });
    byMethods.jsonPatch(ref, [{ op: "remove", path: "/spec/x" }]);
    const ready = createPatchCollector();
    ready.add(
      { operation: "CreateIfNotExists", object: service },
      // optional keys present but unset are dropped, as the methods never write them
      {
        operation: "MergePatch",
        ...ref,
        mergePatch: { spec: { type: "ClusterIP" } },
        ignoreMissingObject: true,
        ignoreHookError: false,
      },
      { operation: "DeleteInBackground", ...clusterRef, namespace: "" },
      { operation: "JQPatch", ...ref, jqFilter: ".metadata", subresource: "status" },
    );
    ready.add({ operation: "JSONPatch", ...ref, jsonPatch: [{ op: "remove", path: "/spec/x" }] });
    expect(toJsonLines(ready.operations())).toBe(toJsonLines(byMethods.operations()));
  });

  it("refuses ready operations without an apiVersion, a target or a known kind", () => {
    const collector = createPatchCollector();
    expect(() =>
      collector.add({ operation: "DeleteInBackground", kind: "Role", namespace: "a", name: "r" }),
    ).toThrow(/DeleteInBackground of Role r needs an apiVersion/);
    expect(() =>
      collector.add({
        operation: "MergePatch",
        apiVersion: "v1",
        kind: "",
        name: "x",
        mergePatch: {},
      }),
    ).toThrow(/kind and name/);
    expect(() =>
      collector.add({ operation: "Patch" } as unknown as Parameters<typeof collector.add>[0]),
    ).toThrow(/unknown patch operation "Patch"/);
    expect(collector.operations()).toEqual([]);
  });
});
