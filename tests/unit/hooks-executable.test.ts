// Tests the hooks executable the way addon-operator uses it: a fresh build of
// build/hooks/swh-hooks (Node single-executable application) answers `hook list` and
// `hook config` as the batch-hook discovery expects, and `hook run N` turns a Group binding
// context (snapshots filtered by the executable's own jqFilters, with the real jq) into the
// expected patch and metrics files. Then the same executable runs inside a chroot that holds
// only it and the shared libraries ldd names, with an empty environment: proof that the module
// needs no Node.js on the machine.
//
// Set SWH_HOOKS_EXECUTABLE to test a prebuilt executable instead of building one (~5 s).

import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { validateShellOperatorConfig } from "shell-operator-ts-hooks/testing";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const BUILD_TIMEOUT_MS = 120_000;

/** Hook names the module must register (H5's and H7's hooks). */
const EXPECTED_HOOKS = [
  "ensure-crds",
  "child-service",
  "secret-access",
  "status",
  "endpointslice-gc",
];

let workDir = "";
let executable = "";

function run(args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(executable, args, { env, encoding: "utf8", timeout: 30_000 });
}

function mustRun(args: string[], env: Record<string, string> = {}): string {
  const result = run(args, env);
  if (result.status !== 0) {
    throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  }
  return result.stdout;
}

beforeAll(() => {
  workDir = mkdtempSync(path.join(os.tmpdir(), "swh-hooks-test-"));
  const prebuilt = process.env.SWH_HOOKS_EXECUTABLE;
  if (prebuilt !== undefined && prebuilt !== "") {
    executable = path.resolve(prebuilt);
    return;
  }
  const outDir = path.join(workDir, "build");
  execFileSync(
    process.execPath,
    [path.join(ROOT, "scripts", "build-hooks.mjs"), "--out-dir", outDir],
    {
      stdio: "pipe",
      timeout: BUILD_TIMEOUT_MS,
    },
  );
  executable = path.join(outDir, "swh-hooks");
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  if (workDir !== "") rmSync(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Discovery: hook list / hook config / hook ready

interface BatchEntry {
  metadata: { name: string };
  kubernetes?: Array<Record<string, unknown> & { name: string; jqFilter?: string }>;
  schedule?: Array<Record<string, unknown>>;
  settings?: { executionMinInterval?: number; executionBurst?: number };
  [key: string]: unknown;
}

function hookConfig(): { version: string; hooks: BatchEntry[] } {
  return JSON.parse(mustRun(["hook", "config"])) as { version: string; hooks: BatchEntry[] };
}

/**
 * What addon-operator makes of a batch entry before validating it against shell-operator's v1
 * schema (remapHookConfigV1FromHookConfig): metadata dropped, executeHookOnEvent bool -> [] or
 * default, bindings grouped, the settings' nanoseconds -> a Go duration.
 */
function remapLikeAddonOperator(entry: BatchEntry): Record<string, unknown> {
  const { kubernetes, schedule, settings, ...rest } = entry;
  const out: Record<string, unknown> = { ...rest };
  delete out.metadata;
  if (kubernetes !== undefined) {
    out.kubernetes = kubernetes.map(({ executeHookOnEvent, ...binding }) => ({
      ...binding,
      ...(executeHookOnEvent === false ? { executeHookOnEvent: [] } : {}),
      group: "main",
    }));
  }
  if (schedule !== undefined) out.schedule = schedule.map(s => ({ ...s, group: "main" }));
  if (settings !== undefined) {
    out.settings = {
      ...(settings.executionMinInterval === undefined
        ? {}
        : { executionMinInterval: `${settings.executionMinInterval / 1_000_000}ms` }),
      ...(settings.executionBurst === undefined ? {} : { executionBurst: settings.executionBurst }),
    };
  }
  return out;
}

describe("hooks executable: discovery", () => {
  it("answers `hook list` with addon-operator's `Found N items`", () => {
    const out = mustRun(["hook", "list"]);
    const match = /Found ([1-9][0-9]*) items/.exec(out);
    expect(match?.[1]).toBe(String(EXPECTED_HOOKS.length));
  });

  it("prints a `hook config` with every hook, valid for addon-operator", () => {
    const config = hookConfig();
    expect(config.version).toBe("v1");
    expect(config.hooks.map(h => h.metadata.name)).toEqual(EXPECTED_HOOKS);
    for (const entry of config.hooks) {
      const errors = validateShellOperatorConfig(
        remapLikeAddonOperator(entry),
        "addon-operator-module",
      );
      expect({ hook: entry.metadata.name, errors }).toEqual({
        hook: entry.metadata.name,
        errors: [],
      });
    }
  });

  it("passes `hook ready` and rejects unknown commands", () => {
    expect(run(["hook", "ready"]).status).toBe(0);
    const bad = run(["hook", "fly"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("usage");
  });
});

// ---------------------------------------------------------------------------------------------
// hook run N on real protocol files

const NOW_ISO = new Date().toISOString();

const SWH = {
  apiVersion: "network.deckhouse.io/v1alpha1",
  kind: "ServiceWithHealthchecks",
  metadata: { name: "web", namespace: "prod", uid: "uid-web", generation: 2, managedFields: [{}] },
  spec: {
    selector: { app: "web" },
    ports: [{ port: 80, targetPort: 8080 }],
    healthcheck: { probes: [{ mode: "TCP", tcp: { targetPort: 8080 } }] },
  },
};

const SLICE = {
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: {
    name: "web-node-a",
    namespace: "prod",
    labels: {
      "kubernetes.io/service-name": "web",
      "network.deckhouse.io/node-name": "node-a",
      "endpointslice.kubernetes.io/managed-by": "servicewithhealthchecks",
    },
    annotations: {
      "network.deckhouse.io/endpoint-reports": JSON.stringify([
        {
          pod: "web-0",
          address: "10.0.0.1",
          ready: true,
          failedProbes: [],
          lastTransitionTime: NOW_ISO,
        },
      ]),
    },
    ownerReferences: [
      {
        apiVersion: "network.deckhouse.io/v1alpha1",
        kind: "ServiceWithHealthchecks",
        name: "web",
        uid: "uid-web",
        controller: true,
      },
    ],
  },
  addressType: "IPv4",
  endpoints: [
    {
      addresses: ["10.0.0.1"],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: "node-a",
      targetRef: { kind: "Pod", name: "web-0", namespace: "prod" },
    },
  ],
};

const NODE = { apiVersion: "v1", kind: "Node", metadata: { name: "node-a", uid: "node-uid" } };

/** Filters `object` with the binding's jqFilter using the real jq, as the operator does. */
function snapshotItem(binding: { jqFilter?: string }, object: unknown): { filterResult: unknown } {
  const program = binding.jqFilter ?? ".";
  const out = execFileSync("jq", ["-c", program], { input: JSON.stringify(object) });
  return { filterResult: JSON.parse(out.toString("utf8")) };
}

/** A Group binding context for hook `name`, every binding's snapshot taken from `objects`. */
function groupContext(
  name: string,
  objects: Record<string, unknown[]>,
): { index: number; context: unknown[] } {
  const hooks = hookConfig().hooks;
  const index = hooks.findIndex(h => h.metadata.name === name);
  const snapshots: Record<string, unknown[]> = {};
  for (const binding of hooks[index]?.kubernetes ?? []) {
    snapshots[binding.name] = (objects[binding.name] ?? []).map(o => snapshotItem(binding, o));
  }
  return { index, context: [{ binding: "main", type: "Group", groupName: "main", snapshots }] };
}

interface ProtocolFiles {
  env: Record<string, string>;
  read: (name: "patch" | "metrics") => unknown[];
}

/** Protocol files under `dir` (`visibleAs` is how the executable sees `dir`, e.g. in a chroot). */
function protocolFiles(dir: string, context: unknown[], visibleAs = dir): ProtocolFiles {
  mkdirSync(dir, { recursive: true });
  const files = {
    BINDING_CONTEXT_PATH: "context.json",
    VALUES_PATH: "values.json",
    CONFIG_VALUES_PATH: "config-values.json",
    VALUES_JSON_PATCH_PATH: "values-patch.json",
    CONFIG_VALUES_JSON_PATCH_PATH: "config-values-patch.json",
    METRICS_PATH: "metrics.json",
    KUBERNETES_PATCH_PATH: "patch.json",
  };
  writeFileSync(path.join(dir, files.BINDING_CONTEXT_PATH), JSON.stringify(context));
  writeFileSync(
    path.join(dir, files.VALUES_PATH),
    JSON.stringify({ global: {}, serviceWithHealthchecks: {} }),
  );
  writeFileSync(
    path.join(dir, files.CONFIG_VALUES_PATH),
    JSON.stringify({ serviceWithHealthchecks: {} }),
  );
  const env: Record<string, string> = { MODULE_NAME: "service-with-healthchecks" };
  for (const [key, file] of Object.entries(files)) env[key] = path.join(visibleAs, file);
  const read = (name: "patch" | "metrics"): unknown[] =>
    readFileSync(path.join(dir, `${name}.json`), "utf8")
      .split("\n")
      .filter(line => line.trim() !== "")
      .map(line => JSON.parse(line) as unknown);
  return { env, read };
}

function expectStatusPatch(ops: unknown[]): void {
  expect(ops).toHaveLength(1);
  expect(ops[0]).toMatchObject({
    operation: "MergePatch",
    apiVersion: "network.deckhouse.io/v1alpha1",
    kind: "ServiceWithHealthchecks",
    namespace: "prod",
    name: "web",
    subresource: "status",
    mergePatch: {
      status: {
        observedGeneration: 2,
        readySummary: "1/1",
        healthcheckCondition: { observedGeneration: 2, endpoints: 1, readyEndpoints: 1 },
        endpointStatuses: [
          { podName: "web-0", nodeName: "node-a", address: "10.0.0.1", ready: true },
        ],
      },
    },
  });
}

describe("hooks executable: hook run", () => {
  it("runs the status hook on a Group context and writes the status patch and gauges", () => {
    const { index, context } = groupContext("status", { swhs: [SWH], slices: [SLICE] });
    const files = protocolFiles(path.join(workDir, "run-status"), context);
    mustRun(["hook", "run", String(index)], files.env);
    expectStatusPatch(files.read("patch"));
    expect(files.read("metrics")).toContainEqual(
      expect.objectContaining({
        name: "d8_swh_ready_endpoints",
        action: "set",
        value: 1,
        labels: { namespace: "prod", name: "web" },
      }),
    );
  });

  it("runs the GC hook: a node without a Lease gets its slice fenced", () => {
    const { index, context } = groupContext("endpointslice-gc", {
      swhs: [SWH],
      slices: [SLICE],
      nodes: [NODE],
      leases: [],
    });
    const files = protocolFiles(path.join(workDir, "run-gc"), context);
    mustRun(["hook", "run", String(index)], files.env);
    const ops = files.read("patch");
    expect(ops).toEqual([
      expect.objectContaining({
        operation: "JQPatch",
        name: "web-node-a",
        ignoreMissingObject: true,
      }),
    ]);
  });

  it("fails with a message naming the missing file", () => {
    const result = run(["hook", "run", "3"], {
      BINDING_CONTEXT_PATH: path.join(workDir, "nope.json"),
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("nope.json");
  });
});

// ---------------------------------------------------------------------------------------------
// No Node.js needed: run inside a chroot holding only the executable and its shared libraries

/** Absolute paths of the shared libraries (and the loader) `ldd` lists for `file`. */
function sharedLibraries(file: string): string[] {
  const out = execFileSync("ldd", [file], { encoding: "utf8" });
  const paths = new Set<string>();
  for (const line of out.split("\n")) {
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (match?.[1] !== undefined) paths.add(match[1]);
  }
  return [...paths];
}

/** Every file under `dir`, relative. */
function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry =>
    entry.isDirectory()
      ? listFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`)
      : [`${prefix}${entry.name}`],
  );
}

/** Absolute path of chroot(8) from PATH (the jailed runs get an empty environment, no PATH). */
function findChroot(): string | undefined {
  const dirs = (process.env.PATH ?? "").split(path.delimiter).concat(["/usr/sbin", "/sbin"]);
  return dirs.map(d => path.join(d, "chroot")).find(p => spawnSync(p, ["--version"]).status === 0);
}

const CHROOT = findChroot();

/** Why chroot cannot be used here, or undefined when it can. */
function chrootUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "not running as root";
  if (CHROOT === undefined) return "chroot(8) not found";
  const probe = spawnSync(CHROOT, ["/", "true"], { encoding: "utf8" });
  if (probe.status !== 0) return `chroot(8) failed: ${probe.stderr.trim()}`;
  return undefined;
}

const noChroot = chrootUnavailable();
const chrootIt = noChroot === undefined ? it : it.skip;
if (noChroot !== undefined) {
  console.warn(`hooks-executable: SKIPPING the no-Node.js chroot test: ${noChroot}`);
}

describe("hooks executable: runs without Node.js", () => {
  chrootIt(
    "answers list, config and run inside a chroot with only itself and its libraries",
    () => {
      const jail = path.join(workDir, "jail");
      mkdirSync(path.join(jail, "tmp"), { recursive: true });
      copyFileSync(executable, path.join(jail, "swh-hooks"));
      execFileSync("chmod", ["755", path.join(jail, "swh-hooks")]);
      const libraries = sharedLibraries(executable);
      expect(libraries.length).toBeGreaterThan(0);
      for (const lib of libraries) {
        mkdirSync(path.join(jail, path.dirname(lib)), { recursive: true });
        copyFileSync(lib, path.join(jail, lib));
      }
      // Nothing named node, and no node_modules, anywhere in the root.
      const contents = listFiles(jail);
      expect(contents.filter(f => /(^|\/)(node|nodejs)$|node_modules/.test(f))).toEqual([]);
      expect(contents.sort()).toEqual(["swh-hooks", ...libraries.map(l => l.slice(1))].sort());

      const inJail = (args: string[], env: Record<string, string> = {}) =>
        spawnSync(CHROOT!, [jail, "/swh-hooks", ...args], {
          env,
          encoding: "utf8",
          timeout: 30_000,
        });

      const list = inJail(["hook", "list"]);
      expect({ status: list.status, stderr: list.stderr }).toEqual({ status: 0, stderr: "" });
      expect(list.stdout).toMatch(/^Found 5 items/);

      const config = inJail(["hook", "config"]);
      expect(config.status).toBe(0);
      expect((JSON.parse(config.stdout) as { hooks: unknown[] }).hooks).toHaveLength(
        EXPECTED_HOOKS.length,
      );

      const { index, context } = groupContext("status", { swhs: [SWH], slices: [SLICE] });
      const files = protocolFiles(path.join(jail, "tmp"), context, "/tmp");
      const runResult = inJail(["hook", "run", String(index)], files.env);
      expect({ status: runResult.status, stderr: runResult.stderr }).toMatchObject({ status: 0 });
      expectStatusPatch(files.read("patch"));
    },
  );
});
