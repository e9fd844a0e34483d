// Every binding-context type parsed from shell-operator/addon-operator-shaped JSON fixtures,
// and malformed input rejected with the element index.

import { parseBindingContexts } from "./binding-context.js";
import { fixture } from "./testdata/load.js";

describe("parseBindingContexts", () => {
  it("parses onStartup (no type in the JSON)", () => {
    expect(parseBindingContexts(fixture("on-startup.json"))).toEqual([
      { type: "OnStartup", binding: "onStartup" },
    ]);
  });

  it("parses a lifecycle context with all snapshots", () => {
    const [context] = parseBindingContexts(fixture("before-helm.json"));
    expect(context?.type).toBe("Lifecycle");
    expect(context?.binding).toBe("beforeHelm");
    expect(context?.snapshots?.["services"]).toHaveLength(1);
    expect(context?.snapshots?.["services"]?.[0]?.filterResult).toEqual({
      metadata: { name: "db", namespace: "prod" },
      spec: { clusterIP: "10.96.0.12" },
    });
    expect(context?.snapshots?.["nodes"]).toEqual([]);
  });

  it("parses Synchronization objects, keeping a null filterResult", () => {
    const [context] = parseBindingContexts(fixture("synchronization.json"));
    if (context?.type !== "Synchronization") throw new Error("wrong type");
    expect(context.objects).toHaveLength(2);
    expect(context.objects[0]?.object?.["kind"]).toBe("Service");
    expect(context.objects[1]).toHaveProperty("filterResult", null);
    expect(context.snapshots).toBeUndefined();
  });

  it("parses an empty Synchronization", () => {
    expect(parseBindingContexts(fixture("synchronization-empty.json"))).toEqual([
      { type: "Synchronization", binding: "services", objects: [] },
    ]);
  });

  it("parses an Event with watchEvent, object and filterResult", () => {
    const [context] = parseBindingContexts(fixture("event-added.json"));
    if (context?.type !== "Event") throw new Error("wrong type");
    expect(context.watchEvent).toBe("Added");
    expect(context.object?.["metadata"]).toMatchObject({ name: "cache" });
    expect(context.filterResult).toMatchObject({ spec: { clusterIP: "10.96.0.30" } });
  });

  it("parses a Schedule with snapshots", () => {
    const [context] = parseBindingContexts(fixture("schedule.json"));
    expect(context).toMatchObject({ type: "Schedule", binding: "fence-dead-agents" });
    expect(context?.snapshots?.["leases"]).toHaveLength(1);
  });

  it("parses a Group; a null snapshot list (Go nil slice) reads as empty", () => {
    const [context] = parseBindingContexts(fixture("group.json"));
    if (context?.type !== "Group") throw new Error("wrong type");
    expect(context.groupName).toBe("main");
    expect(context.snapshots["services"]).toHaveLength(2);
    expect(context.snapshots["services"]?.[0]).not.toHaveProperty("object");
    expect(context.snapshots["nodes"]).toEqual([]);
  });

  it("parses a compacted multi-element array in order", () => {
    const types = parseBindingContexts(fixture("compacted.json")).map(c => c.type);
    expect(types).toEqual(["Synchronization", "Event", "Event"]);
  });

  it.each([
    // not an array at all
    [{ binding: "onStartup" }, /must be a JSON array/],
    // element without binding
    [[{ type: "Schedule" }], /\[0\] is malformed/],
    // unknown binding without type
    [[{ binding: "whatever" }], /\[0\] is malformed/],
    // Event with an invalid watchEvent
    [[{ binding: "a", type: "Event", watchEvent: "Updated" }], /\[0\] is malformed/],
    // Group without groupName
    [[{ binding: "a", type: "Group", snapshots: {} }], /\[0\] is malformed/],
    // webhook contexts are not supported
    [[{ binding: "v", type: "Validating", review: {} }], /\[0\] is malformed/],
    // objects must be an array of objects
    [[{ binding: "a", type: "Synchronization", objects: [1] }], /\[0\] is malformed/],
    // snapshots must be an object
    [[{ binding: "onStartup" }, { binding: "afterHelm", snapshots: [] }], /\[1\] is malformed/],
  ])("rejects %j", (input, message) => {
    expect(() => parseBindingContexts(input)).toThrow(message);
  });

  it("keeps the reason as the error cause", () => {
    try {
      parseBindingContexts([{ binding: "a", type: "Event", watchEvent: "Updated" }]);
      throw new Error("did not throw");
    } catch (error) {
      expect(((error as Error).cause as Error).message).toMatch(/watchEvent/);
    }
  });
});
