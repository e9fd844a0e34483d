// The transports as the operators really run them: the example hooks are bundled with esbuild
// into extensionless executables (shebang to the project's Node 24, chmod +x) in a temp
// directory, then spawned with real protocol files.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

/** The project's `node_modules/.bin/node` (Node 24), found upwards from this file. */
function projectNode(): string {
  for (let dir = here; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", ".bin", "node");
    if (existsSync(candidate)) return candidate;
  }
  throw new Error("node_modules/.bin/node not found");
}

let dir: string;
let batchExe: string;
let shellExe: string;

async function bundle(entry: string, out: string): Promise<string> {
  await build({
    entryPoints: [resolve(here, "..", "testdata", entry)],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node24",
    banner: { js: `#!${projectNode()}` },
    logLevel: "error",
  });
  await chmod(out, 0o755);
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "so-ts-hooks-spawn-"));
  batchExe = await bundle("example-batch.ts", join(dir, "batch"));
  shellExe = await bundle("example-shell.ts", join(dir, "shell-hook"));
}, 60_000);
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** Runs an executable; resolves with exit code and output even when it fails. */
async function exec(
  file: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(file, args, {
      env: { PATH: process.env["PATH"] ?? "", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function protocolFiles(bindingContext: unknown): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    BINDING_CONTEXT_PATH: join(dir, "context.json"),
    VALUES_PATH: join(dir, "values.json"),
    CONFIG_VALUES_PATH: join(dir, "config-values.json"),
    KUBERNETES_PATCH_PATH: join(dir, "patch"),
    METRICS_PATH: join(dir, "metrics"),
    VALUES_JSON_PATCH_PATH: join(dir, "values-patch"),
    CONFIG_VALUES_JSON_PATCH_PATH: join(dir, "config-values-patch"),
    MODULE_NAME: "example-module",
  };
  await writeFile(env["BINDING_CONTEXT_PATH"] as string, JSON.stringify(bindingContext));
  await writeFile(env["VALUES_PATH"] as string, JSON.stringify({ global: {}, exampleModule: {} }));
  await writeFile(env["CONFIG_VALUES_PATH"] as string, "{}");
  for (const key of [
    "KUBERNETES_PATCH_PATH",
    "METRICS_PATH",
    "VALUES_JSON_PATCH_PATH",
    "CONFIG_VALUES_JSON_PATCH_PATH",
  ]) {
    await writeFile(env[key] as string, "");
  }
  return env;
}

const context = [
  {
    binding: "apps",
    type: "Group",
    groupName: "main",
    snapshots: {
      apps: [
        { filterResult: { metadata: { name: "web", namespace: "prod" }, spec: { port: 80 } } },
      ],
      services: [],
    },
  },
];

describe("spawned batch executable", () => {
  it("answers the discovery probe and prints its config", async () => {
    const list = await exec(batchExe, ["hook", "list"]);
    expect(list).toMatchObject({ code: 0 });
    expect(list.stdout).toMatch(/Found 2 items/);
    const config = await exec(batchExe, ["hook", "config"]);
    expect(config.code).toBe(0);
    const doc = JSON.parse(config.stdout) as {
      version: string;
      hooks: unknown[];
      readiness: unknown;
    };
    expect(doc.version).toBe("v1");
    expect(doc.hooks).toHaveLength(2);
    expect(doc.readiness).toBeDefined();
  });

  it("runs hook 0 against real files", async () => {
    const env = await protocolFiles(context);
    const result = await exec(batchExe, ["hook", "run", "0"], env);
    expect(result.code).toBe(0);
    const patch = await readFile(env["KUBERNETES_PATCH_PATH"] as string, "utf8");
    expect(JSON.parse(patch.trim())).toMatchObject({
      operation: "CreateOrUpdate",
      object: { kind: "Service", metadata: { name: "web", namespace: "prod" } },
    });
    expect(JSON.parse(await readFile(env["VALUES_JSON_PATCH_PATH"] as string, "utf8"))).toEqual([
      { op: "add", path: "/exampleModule/internal", value: {} },
      { op: "add", path: "/exampleModule/internal/appCount", value: 1 },
    ]);
  });

  it("fails hook 1 with exit 1 and the cause on stderr", async () => {
    const env = await protocolFiles([{ binding: "onStartup" }]);
    const result = await exec(batchExe, ["hook", "run", "1"], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/reconcile failed: root cause/);
    expect(await readFile(env["KUBERNETES_PATCH_PATH"] as string, "utf8")).toBe("");
  });

  it("exits 2 on an unknown command", async () => {
    expect((await exec(batchExe, ["hook", "frobnicate"])).code).toBe(2);
  });
});

describe("spawned shell-operator hook", () => {
  it("prints its config and runs once", async () => {
    const config = await exec(shellExe, ["--config"]);
    expect(config.code).toBe(0);
    expect(JSON.parse(config.stdout)).toMatchObject({ configVersion: "v1", beforeHelm: 10 });
    const env = await protocolFiles(context);
    expect((await exec(shellExe, [], env)).code).toBe(0);
    expect(await readFile(env["KUBERNETES_PATCH_PATH"] as string, "utf8")).toMatch(
      /CreateOrUpdate/,
    );
  });

  it("is not mistaken for a batch hook", async () => {
    expect((await exec(shellExe, ["hook", "config"])).code).not.toBe(0);
  });
});
