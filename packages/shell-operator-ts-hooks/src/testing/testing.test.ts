// The test helpers as a hook author uses them: given these snapshots (YAML fixtures), expect
// these operations, and nothing else.

import { appServicesHook, failingHook, serviceFor } from "../testdata/example-hooks.js";
import { buildInput, fromYaml, runHookForTest } from "./index.js";

const APPS_YAML = `
apiVersion: example.com/v1
kind: App
metadata: { name: web, namespace: prod }
spec: { port: 8080 }
---
apiVersion: example.com/v1
kind: App
metadata: { name: api, namespace: prod }
spec: { port: 9090 }
---
# not an App the filter accepts: no port
apiVersion: example.com/v1
kind: App
metadata: { name: broken, namespace: prod }
spec: {}
`;

const SERVICES_YAML = `
apiVersion: v1
kind: Service
metadata: { name: web, namespace: prod, labels: { app.example.com/managed: "true" } }
---
apiVersion: v1
kind: Service
metadata: { name: gone, namespace: prod, labels: { app.example.com/managed: "true" } }
`;

describe("runHookForTest", () => {
  it("given Apps and Services, creates/updates each App's Service and deletes orphans", async () => {
    const result = await runHookForTest(appServicesHook, {
      snapshots: { apps: fromYaml(APPS_YAML), services: fromYaml(SERVICES_YAML) },
      values: { exampleModule: {} },
    });
    expect(result.operations).toEqual([
      {
        operation: "CreateOrUpdate",
        object: serviceFor({ namespace: "prod", name: "web", port: 8080 }),
      },
      {
        operation: "CreateOrUpdate",
        object: serviceFor({ namespace: "prod", name: "api", port: 9090 }),
      },
      { operation: "Delete", apiVersion: "v1", kind: "Service", namespace: "prod", name: "gone" },
    ]);
    expect(result.metrics).toEqual([
      { name: "example_apps", action: "set", value: 2, group: "example" },
    ]);
    expect(result.valuesPatches.at(-1)).toEqual({
      op: "add",
      path: "/exampleModule/internal/appCount",
      value: 2,
    });
    expect(result.configValuesPatches).toEqual([]);
    expect(result.logs).toMatchObject([
      { level: "info", msg: "reconciled", apps: 2, hook: "app-services" },
    ]);
  });

  it("given no snapshots, emits no operations", async () => {
    const result = await runHookForTest(appServicesHook, { values: { exampleModule: {} } });
    expect(result.operations).toEqual([]);
  });

  it("rejects with the handler's error", async () => {
    await expect(runHookForTest(failingHook)).rejects.toThrow("reconcile failed");
  });
});

describe("buildInput", () => {
  it("gives typed, filtered snapshots and the clock", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    const input = buildInput(appServicesHook, { snapshots: { apps: fromYaml(APPS_YAML) }, now });
    expect(input.snapshots.apps.map(a => a.port)).toEqual([8080, 9090]);
    expect(input.snapshots.services).toEqual([]);
    expect(input.now).toBe(now);
    // a jqFilter binding receives the given item as its filterResult
    expect(input.rawSnapshots["apps"]?.[0]).toHaveProperty("filterResult");
    expect(input.contexts[0]).toMatchObject({ type: "Group", groupName: "main" });
  });
});

describe("fromYaml", () => {
  it("skips empty documents and rejects non-objects", () => {
    expect(fromYaml("---\n---\na: 1\n")).toEqual([{ a: 1 }]);
    expect(() => fromYaml("- a\n- b\n")).toThrow(/must be objects/);
    expect(() => fromYaml("a: [\n")).toThrow(/invalid YAML/);
  });
});
