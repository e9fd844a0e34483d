// Tests for the ensure-crds hook: module directory resolution, CRD file selection, YAML parsing
// with clear errors, and the hook run itself on a real directory (a temporary one and the
// repository's own crds/).

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  runHookForTest,
  toShellOperatorConfig,
  validateShellOperatorConfig,
} from "shell-operator-ts-hooks/testing";
import {
  crdFileNames,
  ensureCrdsHook,
  loadCrds,
  MODULE_DIR_ENV,
  parseCrdFile,
  resolveModuleDir,
  type ExecutableLocation,
} from "./hook.js";

/** The repository root, which is the module directory. */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A small valid CRD document. */
function crdYaml(name: string): string {
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${name}
spec:
  group: example.com
  scope: Namespaced
  names: { kind: Thing, plural: things }
  versions: [{ name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object } } }]
`;
}

describe("resolveModuleDir", () => {
  const base: ExecutableLocation = {
    env: {},
    execPath: "/usr/bin/node",
    scriptPath: undefined,
    singleExecutable: false,
  };

  it.each<[string, Partial<ExecutableLocation>, string]>([
    // the environment wins over everything
    [
      "env override",
      { env: { [MODULE_DIR_ENV]: "/srv/module" }, singleExecutable: true, execPath: "/x/hooks/h" },
      "/srv/module",
    ],
    // a relative override is resolved against the working directory
    ["relative override", { env: { [MODULE_DIR_ENV]: "mod" } }, path.resolve("mod")],
    // single executable in <module>/hooks/: the module is two levels up from the executable
    [
      "single executable",
      { singleExecutable: true, execPath: "/deckhouse/modules/610-swh/hooks/swh-hooks" },
      "/deckhouse/modules/610-swh",
    ],
    // plain node: the script's directory's parent, not node's
    [
      "plain node",
      { scriptPath: "/deckhouse/modules/610-swh/hooks/swh-hooks.mjs" },
      "/deckhouse/modules/610-swh",
    ],
    // an empty override is ignored
    ["empty override", { env: { [MODULE_DIR_ENV]: "" }, scriptPath: "/m/hooks/h.mjs" }, "/m"],
  ])("%s", (_case, location, expected) => {
    expect(resolveModuleDir({ ...base, ...location })).toBe(expected);
  });

  it("fails with a hint when there is nothing to go by", () => {
    expect(() => resolveModuleDir(base)).toThrow(/set SWH_MODULE_DIR/);
  });
});

describe("crdFileNames", () => {
  it("keeps *.yaml and *.yml, sorted, without doc-ru twins or hidden files", () => {
    expect(
      crdFileNames([
        "z.yaml",
        "doc-ru-z.yaml",
        "a.yml",
        "README.md",
        ".hidden.yaml",
        "notes.txt",
        "b.yaml",
      ]),
    ).toEqual(["a.yml", "b.yaml", "z.yaml"]);
  });
});

describe("parseCrdFile", () => {
  it("reads every CRD of a multi-document file and skips empty documents", () => {
    const text = `---\n${crdYaml("a.example.com")}---\n# only a comment\n---\n${crdYaml("b.example.com")}`;
    expect(parseCrdFile("crds/x.yaml", text).map(c => c.metadata.name)).toEqual([
      "a.example.com",
      "b.example.com",
    ]);
  });

  it.each<[string, string, RegExp]>([
    // broken YAML: the file, document and parser message
    ["bad YAML", "apiVersion: [unclosed", /crds\/x\.yaml document 1: invalid YAML/],
    // not a CRD
    [
      "wrong kind",
      "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n",
      /document 1: expected apiVersion apiextensions.k8s.io\/v1, kind CustomResourceDefinition; got v1 ConfigMap/,
    ],
    // old API version
    [
      "v1beta1",
      "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata: { name: x }\n",
      /got apiextensions.k8s.io\/v1beta1 CustomResourceDefinition/,
    ],
    // second document broken: named as such
    [
      "second document",
      `${crdYaml("a.example.com")}---\n- just\n- a list\n`,
      /document 2: expected/,
    ],
    // no name
    [
      "no name",
      "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {}\n",
      /has no metadata.name/,
    ],
  ])("%s", (_case, text, message) => {
    expect(() => parseCrdFile("crds/x.yaml", text)).toThrow(message);
  });
});

describe("loadCrds and the hook", () => {
  let moduleDir: string;
  const savedEnv = process.env[MODULE_DIR_ENV];

  beforeEach(async () => {
    moduleDir = await mkdtemp(path.join(tmpdir(), "swh-ensure-crds-"));
  });

  afterEach(async () => {
    if (savedEnv === undefined) delete process.env[MODULE_DIR_ENV];
    else process.env[MODULE_DIR_ENV] = savedEnv;
    await rm(moduleDir, { recursive: true, force: true });
  });

  async function writeCrds(files: Record<string, string>): Promise<void> {
    await mkdir(path.join(moduleDir, "crds"));
    for (const [name, text] of Object.entries(files)) {
      await writeFile(path.join(moduleDir, "crds", name), text);
    }
  }

  it("loads CRD files in name order, ignoring doc-ru twins and other files", async () => {
    await writeCrds({
      "b.yaml": crdYaml("b.example.com"),
      "a.yaml": `${crdYaml("a1.example.com")}---\n${crdYaml("a2.example.com")}`,
      "doc-ru-a.yaml": "spec: { versions: [ broken",
      "README.md": "# not YAML",
    });
    const crds = await loadCrds(moduleDir);
    expect(crds.map(c => c.metadata.name)).toEqual([
      "a1.example.com",
      "a2.example.com",
      "b.example.com",
    ]);
  });

  it("fails clearly without a crds directory", async () => {
    await expect(loadCrds(moduleDir)).rejects.toThrow(
      `cannot list CRD files in ${path.join(moduleDir, "crds")} (set SWH_MODULE_DIR?)`,
    );
  });

  it("fails when the directory has no CRD files", async () => {
    await writeCrds({ "doc-ru-a.yaml": crdYaml("a.example.com") });
    await expect(loadCrds(moduleDir)).rejects.toThrow(/no CRD files/);
  });

  it("applies every CRD with CreateOrUpdate", async () => {
    await writeCrds({ "a.yaml": crdYaml("a.example.com") });
    process.env[MODULE_DIR_ENV] = moduleDir;
    const result = await runHookForTest(ensureCrdsHook, {});
    expect(result.operations).toEqual([
      {
        operation: "CreateOrUpdate",
        object: {
          apiVersion: "apiextensions.k8s.io/v1",
          kind: "CustomResourceDefinition",
          metadata: { name: "a.example.com" },
          spec: {
            group: "example.com",
            scope: "Namespaced",
            names: { kind: "Thing", plural: "things" },
            versions: [
              {
                name: "v1",
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: "object" } },
              },
            ],
          },
        },
      },
    ]);
  });

  it("fails the run on a broken file, naming it", async () => {
    await writeCrds({ "a.yaml": "kind: [" });
    process.env[MODULE_DIR_ENV] = moduleDir;
    await expect(runHookForTest(ensureCrdsHook, {})).rejects.toThrow(
      `${path.join(moduleDir, "crds", "a.yaml")} document 1: invalid YAML`,
    );
  });

  it("applies the repository's own ServiceWithHealthchecks CRD", async () => {
    process.env[MODULE_DIR_ENV] = REPO_ROOT;
    const result = await runHookForTest(ensureCrdsHook, {});
    expect(result.operations).toContainEqual(
      expect.objectContaining({
        operation: "CreateOrUpdate",
        object: expect.objectContaining({
          metadata: expect.objectContaining({
            name: "servicewithhealthchecks.network.deckhouse.io",
          }),
        }),
      }),
    );
  });
});

describe("ensureCrdsHook config", () => {
  it("runs onStartup with order 5 and no bindings", () => {
    const config = toShellOperatorConfig(ensureCrdsHook);
    expect(config).toEqual({ configVersion: "v1", onStartup: 5 });
    expect(validateShellOperatorConfig(config, "addon-operator-module")).toEqual([]);
  });
});
