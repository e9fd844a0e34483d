// The run core: a handler sees the same input whatever drives it, and failures carry the hook
// name with the original error as cause.

import { defineHook } from "../hook.js";
import { executeHook } from "../run.js";
import { parseBindingContexts } from "../binding-context.js";
import { fixture } from "../testdata/load.js";

describe("defineHook", () => {
  it.each([
    // binding key differs from its name
    [
      { name: "h", kubernetes: { a: { name: "b", kind: "Pod" } } },
      /key "a" differs from its name "b"/,
    ],
    // empty hook name
    [{ name: " " }, /non-empty/],
    // orders are integers
    [{ name: "h", onStartup: 1.5 }, /integer/],
  ])("rejects %j", (config, message) => {
    expect(() => defineHook(config, () => undefined)).toThrow(message);
  });
});

describe("executeHook", () => {
  it("gives a lifecycle run every binding's snapshot", async () => {
    const seen: number[] = [];
    const hook = defineHook(
      {
        name: "h",
        onBeforeHelm: 1,
        kubernetes: {
          services: { name: "services", kind: "Service" },
          nodes: { name: "nodes", kind: "Node" },
        },
      },
      ({ snapshots }) => {
        seen.push(snapshots.services.length, snapshots.nodes.length);
      },
    );
    const contexts = parseBindingContexts(fixture("before-helm.json"));
    await executeHook(hook, { contexts, now: new Date() });
    expect(seen).toEqual([1, 0]);
  });

  it("wraps handler and filter failures with the hook name", async () => {
    const hook = defineHook(
      {
        name: "bad-filter",
        kubernetes: {
          s: {
            name: "s",
            kind: "Service",
            filter: (): never => {
              throw new Error("unexpected shape");
            },
          },
        },
      },
      () => undefined,
    );
    // no items: the filter never runs
    const empty = parseBindingContexts([{ binding: "s", type: "Synchronization", objects: [] }]);
    await expect(executeHook(hook, { contexts: empty, now: new Date() })).resolves.toBeDefined();
    const withItem = parseBindingContexts([
      { binding: "s", type: "Synchronization", objects: [{ object: {} }] },
    ]);
    await expect(executeHook(hook, { contexts: withItem, now: new Date() })).rejects.toMatchObject({
      message: "hook bad-filter failed",
      cause: { message: 'filter of binding "s" failed on item 0' },
    });
  });
});
