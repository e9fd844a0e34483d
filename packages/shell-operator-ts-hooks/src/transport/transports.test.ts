// Both transports driven end to end in-process, with real files in a temp directory: the
// shell-operator per-file protocol and addon-operator's batch protocol.

import { appServicesHook, failingHook } from "../testdata/example-hooks.js";
import { runBatch } from "./batch.js";
import { createHarness, type Harness } from "../testdata/process-harness.js";
import { runShellHook } from "./shell.js";

const app = (name: string, port: number): object => ({
  filterResult: { metadata: { name, namespace: "prod" }, spec: { port } },
});
const managedService = (name: string): object => ({
  object: { apiVersion: "v1", kind: "Service", metadata: { name, namespace: "prod" } },
});

/** A batch-style Group context: the App "web" exists, the Service "old" is an orphan. */
const groupContext = [
  {
    binding: "apps",
    type: "Group",
    groupName: "main",
    snapshots: {
      apps: [app("web", 8080)],
      services: [managedService("old"), managedService("web")],
    },
  },
];

let h: Harness;
afterEach(async () => h.cleanup());

const lines = (text: string): unknown[] =>
  text
    .split("\n")
    .filter(l => l !== "")
    .map(l => JSON.parse(l) as unknown);

describe("runShellHook", () => {
  it("prints a schema-valid v1 config for --config", async () => {
    h = await createHarness({ bindingContext: [] });
    expect(await runShellHook(appServicesHook, h.io(["--config"]))).toBe(0);
    const config = JSON.parse(h.stdout.join("")) as {
      kubernetes: { name: string }[];
      beforeHelm: number;
    };
    expect(config.beforeHelm).toBe(10);
    expect(config.kubernetes.map(k => k.name)).toEqual(["apps", "services"]);
  });

  it("runs against the protocol files and writes every output", async () => {
    h = await createHarness({ bindingContext: groupContext, values: { exampleModule: {} } });
    expect(await runShellHook(appServicesHook, h.io([]))).toBe(0);
    expect(lines(await h.output("KUBERNETES_PATCH_PATH"))).toMatchObject([
      { operation: "CreateOrUpdate", object: { metadata: { name: "web" } } },
      { operation: "Delete", kind: "Service", namespace: "prod", name: "old" },
    ]);
    expect(lines(await h.output("METRICS_PATH"))).toEqual([
      { name: "example_apps", action: "set", value: 1, group: "example" },
    ]);
    expect(JSON.parse(await h.output("VALUES_JSON_PATCH_PATH"))).toEqual([
      { op: "add", path: "/exampleModule/internal", value: {} },
      { op: "add", path: "/exampleModule/internal/appCount", value: 1 },
    ]);
    expect(await h.output("CONFIG_VALUES_JSON_PATCH_PATH")).toBe("");
    expect(lines(h.stderr.join(""))).toMatchObject([
      { level: "info", msg: "reconciled", hook: "app-services" },
    ]);
  });

  it("exits 2 with usage for other arguments (e.g. the batch probe)", async () => {
    h = await createHarness({ bindingContext: [] });
    expect(await runShellHook(appServicesHook, h.io(["hook", "config"]))).toBe(2);
    expect(h.stdout).toEqual([]);
    expect(h.stderr.join("")).toMatch(/usage/);
  });

  it("exits 1 without BINDING_CONTEXT_PATH", async () => {
    h = await createHarness({ bindingContext: [] });
    const io = h.io([]);
    expect(await runShellHook(appServicesHook, { ...io, env: {} })).toBe(1);
    expect(h.stderr.join("")).toMatch(/BINDING_CONTEXT_PATH is not set/);
  });
});

describe("runBatch", () => {
  it("lists the hooks for the discovery probe", async () => {
    h = await createHarness({ bindingContext: [] });
    expect(await runBatch([appServicesHook, failingHook], h.io(["hook", "list"]))).toBe(0);
    expect(h.stdout.join("")).toBe("Found 2 items:\n0 - app-services\n1 - failing\n");
    expect(/Found ([1-9]|[1-9]\d|[1-9]\d\d|[1-9]\d\d\d) items/.test(h.stdout.join(""))).toBe(true);
  });

  it("prints the BatchHookConfig JSON", async () => {
    h = await createHarness({ bindingContext: [] });
    expect(await runBatch([appServicesHook, failingHook], h.io(["hook", "config"]))).toBe(0);
    const doc = JSON.parse(h.stdout.join("")) as {
      version: string;
      hooks: { metadata: { name: string } }[];
    };
    expect(doc.version).toBe("v1");
    expect(doc.hooks.map(x => x.metadata.name)).toEqual(["app-services", "failing"]);
  });

  it("runs hook N against the files", async () => {
    h = await createHarness({ bindingContext: groupContext, values: { exampleModule: {} } });
    expect(await runBatch([failingHook, appServicesHook], h.io(["hook", "run", "1"]))).toBe(0);
    expect(lines(await h.output("KUBERNETES_PATCH_PATH"))).toHaveLength(2);
  });

  it("takes the values root key from MODULE_NAME", async () => {
    h = await createHarness({
      bindingContext: groupContext,
      values: { exampleModule: {}, other: {} },
    });
    const io = h.io(["hook", "run", "0"]);
    const env = { ...h.env, MODULE_NAME: "other-module" };
    // the hook writes exampleModule.*, which is not this module's key
    expect(await runBatch([appServicesHook], { ...io, env })).toBe(1);
    expect(h.stderr.join("")).toMatch(/must start with \\"otherModule\\"/);
  });

  it("fails a throwing handler: exit 1, cause on stderr, no output written", async () => {
    h = await createHarness({ bindingContext: [{ binding: "onStartup" }] });
    expect(await runBatch([failingHook], h.io(["hook", "run", "0"]))).toBe(1);
    const [record] = lines(h.stderr.join("")) as { level: string; msg: string }[];
    expect(record?.level).toBe("error");
    expect(record?.msg).toBe("hook failing failed: reconcile failed: root cause");
    for (const env of ["KUBERNETES_PATCH_PATH", "METRICS_PATH", "VALUES_JSON_PATCH_PATH"]) {
      expect(await h.output(env)).toBe("");
    }
  });

  it("hook ready succeeds without readiness, runs the probe with it", async () => {
    h = await createHarness({ bindingContext: [] });
    expect(await runBatch([appServicesHook], h.io(["hook", "ready"]))).toBe(0);
    const failing = {
      readiness: {
        probe: (): never => {
          throw new Error("not ready");
        },
      },
    };
    expect(await runBatch([appServicesHook], h.io(["hook", "ready"]), failing)).toBe(1);
    expect(h.stderr.join("")).toMatch(/not ready/);
    // addon-operator's map key for the readiness hook is "ready"
    expect(await runBatch([appServicesHook], h.io(["hook", "run", "ready"]), failing)).toBe(1);
  });

  it.each([
    [["hook"]],
    [["hook", "nope"]],
    [["list"]],
    [["hook", "run"]],
    [["hook", "run", "7"]],
    [["hook", "run", "-1"]],
    [["hook", "list", "extra"]],
    // inherited object keys are not commands
    [["hook", "constructor"]],
  ])("exits 2 with usage for %j", async argv => {
    h = await createHarness({ bindingContext: [] });
    expect(await runBatch([appServicesHook], h.io(argv))).toBe(2);
    expect(h.stderr.join("")).toMatch(/usage/);
  });

  it("refuses to print a config with duplicate names", async () => {
    h = await createHarness({ bindingContext: [] });
    expect(await runBatch([failingHook, failingHook], h.io(["hook", "config"]))).toBe(1);
    expect(h.stderr.join("")).toMatch(/duplicate hook name/);
  });
});
