// Values by path: reads, and edits recorded as addon-operator values patches (reference B.2:
// `add`/`remove` only, paths rooted at the module key).

import { createValues, moduleValuesKey, parsePath, toPointer } from "./values.js";

describe("moduleValuesKey", () => {
  it.each([
    ["service-with-healthchecks", "serviceWithHealthchecks"],
    // directory names carry an order prefix
    ["042-service-with-healthchecks", "serviceWithHealthchecks"],
    // already camelCase
    ["serviceWithHealthchecks", "serviceWithHealthchecks"],
    ["cni-cilium", "cniCilium"],
  ])("%s -> %s", (name, key) => expect(moduleValuesKey(name)).toBe(key));
});

describe("parsePath / toPointer", () => {
  it.each([
    ["a.b.c", ["a", "b", "c"]],
    // escaped dot inside a key
    ["a.network\\.deckhouse\\.io/x", ["a", "network.deckhouse.io/x"]],
    // JSON pointer input with RFC 6901 escapes
    ["/a/b~1c/d~0e", ["a", "b/c", "d~e"]],
  ])("%s", (path, segments) => {
    expect(parsePath(path)).toEqual(segments);
    expect(parsePath(toPointer(segments))).toEqual(segments);
  });

  it("rejects empty segments", () =>
    expect(() => parsePath("a..b")).toThrow(/invalid values path/));
});

describe("createValues", () => {
  const initial = { global: { clusterDomain: "cluster.local" }, swh: { internal: { a: 1 } } };

  it("reads by path without modifying the input", () => {
    const values = createValues(initial, { rootKey: "swh" });
    expect(values.get("global.clusterDomain")).toBe("cluster.local");
    expect(values.has("swh.internal.a")).toBe(true);
    expect(values.get("swh.missing.x")).toBeUndefined();
    values.set("swh.internal.a", 2);
    expect(initial.swh.internal.a).toBe(1);
  });

  it("records add for set, creating missing parents first", () => {
    const values = createValues(initial, { rootKey: "swh" });
    values.set("swh.internal.tls.crt", "PEM");
    expect(values.patches()).toEqual([
      { op: "add", path: "/swh/internal/tls", value: {} },
      { op: "add", path: "/swh/internal/tls/crt", value: "PEM" },
    ]);
    expect(values.get("swh.internal.tls")).toEqual({ crt: "PEM" });
  });

  it("records remove only when the path exists", () => {
    const values = createValues(initial, { rootKey: "swh" });
    values.remove("swh.internal.nope");
    values.remove("swh.internal.a");
    expect(values.patches()).toEqual([{ op: "remove", path: "/swh/internal/a" }]);
    expect(values.has("swh.internal.a")).toBe(false);
  });

  it("rejects paths outside the module key, and setting below a scalar", () => {
    const values = createValues(initial, { rootKey: "swh" });
    expect(() => values.set("global.x", 1)).toThrow(/must start with "swh"/);
    expect(() => values.set("swh.internal.a.b", 1)).toThrow(/is not an object/);
  });

  it("copies set values, so later mutation does not leak into the patch", () => {
    const values = createValues({}, {});
    const list = ["a"];
    values.set("x.list", list);
    list.push("b");
    expect(values.patches()[1]).toEqual({ op: "add", path: "/x/list", value: ["a"] });
  });
});
