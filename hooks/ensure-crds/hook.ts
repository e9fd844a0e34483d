// Ensure-CRDs hook: at operator start-up, applies the module's CustomResourceDefinitions from
// `crds/*.yaml` (the `doc-ru-*` files are documentation twins, not CRDs) with CreateOrUpdate, so
// the ServiceWithHealthchecks CRD exists, in this module version's shape, before anything uses
// it. Errors (no crds directory, unreadable or invalid YAML, a document that is not a CRD) fail
// the hook with a message naming the file.
//
// Why onStartup only (like Deckhouse's own ensure_crds): the CRD files are part of the module
// bundle and change only with a new module version, which restarts or reloads the module and
// re-runs onStartup. beforeHelm runs on every values change; applying a large CRD there would be
// an API write per Helm run for nothing.

import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { isSea } from "node:sea";
import { parseAllDocuments } from "yaml";
import { defineHook, type HookInput, type KubeObject } from "shell-operator-ts-hooks";
import { asRecord, asString } from "../../api/json-read.js";

/** Environment variable that overrides the module directory. */
export const MODULE_DIR_ENV = "SWH_MODULE_DIR";

/** Where the running hooks executable is, for module-directory resolution. */
export interface ExecutableLocation {
  /** The environment (SWH_MODULE_DIR wins when set). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `process.execPath`: the hooks executable itself in the single-executable build. */
  readonly execPath: string;
  /** `process.argv[1]`: the script when running under plain node. */
  readonly scriptPath: string | undefined;
  /** True in the single-executable build (`node:sea` isSea()). */
  readonly singleExecutable: boolean;
}

/**
 * The module directory: `$SWH_MODULE_DIR` when set; otherwise the parent of the directory that
 * holds the hooks executable (`<module>/hooks/<executable>`), or the script under plain node.
 */
export function resolveModuleDir(location: ExecutableLocation): string {
  const override = location.env[MODULE_DIR_ENV];
  if (override !== undefined && override !== "") return path.resolve(override);
  const entry = location.singleExecutable ? location.execPath : location.scriptPath;
  if (entry === undefined || entry === "") {
    throw new Error(`cannot locate the module directory: no script path; set ${MODULE_DIR_ENV}`);
  }
  return path.dirname(path.dirname(path.resolve(entry)));
}

/** The location of this process. */
export function currentLocation(): ExecutableLocation {
  return {
    env: process.env,
    execPath: process.execPath,
    scriptPath: process.argv[1],
    singleExecutable: isSea(),
  };
}

/** CRD file names among `names`: `*.yaml`/`*.yml` except `doc-ru-*`, sorted. */
export function crdFileNames(names: readonly string[]): string[] {
  return names
    .filter(n => /\.ya?ml$/.test(n) && !n.startsWith("doc-ru-") && !n.startsWith("."))
    .sort();
}

function asCrd(value: unknown, where: string): KubeObject {
  const doc = asRecord(value);
  const name = asString(asRecord(doc?.metadata)?.name);
  if (doc?.apiVersion !== "apiextensions.k8s.io/v1" || doc.kind !== "CustomResourceDefinition") {
    throw new Error(
      `${where}: expected apiVersion apiextensions.k8s.io/v1, kind CustomResourceDefinition; ` +
        `got ${String(doc?.apiVersion)} ${String(doc?.kind)}`,
    );
  }
  if (name === undefined)
    throw new Error(`${where}: CustomResourceDefinition has no metadata.name`);
  return doc as KubeObject;
}

/**
 * The CRDs in one YAML file (multi-document; empty documents skipped). Throws, naming the file
 * and document, on a YAML error or a document that is not an apiextensions.k8s.io/v1 CRD.
 */
export function parseCrdFile(fileName: string, text: string): KubeObject[] {
  const crds: KubeObject[] = [];
  parseAllDocuments(text).forEach((doc, index) => {
    const where = `${fileName} document ${index + 1}`;
    if (doc.errors.length > 0) {
      throw new Error(`${where}: invalid YAML: ${doc.errors[0]?.message ?? "unknown error"}`);
    }
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) crds.push(asCrd(value, where));
  });
  return crds;
}

/** Reads and parses every CRD file in `<moduleDir>/crds`; throws when there are none. */
export async function loadCrds(moduleDir: string): Promise<KubeObject[]> {
  const dir = path.join(moduleDir, "crds");
  let names: string[];
  try {
    names = crdFileNames(await readdir(dir));
  } catch (cause) {
    throw new Error(`cannot list CRD files in ${dir} (set ${MODULE_DIR_ENV}?)`, { cause });
  }
  if (names.length === 0) throw new Error(`no CRD files (*.yaml) in ${dir}`);
  const crds: KubeObject[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (cause) {
      throw new Error(`cannot read CRD file ${file}`, { cause });
    }
    crds.push(...parseCrdFile(file, text));
  }
  return crds;
}

async function handle(input: HookInput): Promise<void> {
  const moduleDir = resolveModuleDir(currentLocation());
  const crds = await loadCrds(moduleDir);
  for (const crd of crds) input.patches.createOrUpdate(crd);
  input.logger.info("CRDs to apply", {
    moduleDir,
    crds: crds.map(c => c.metadata.name),
  });
}

/** The ensure-crds hook: onStartup (order 5), applies `crds/*.yaml` with CreateOrUpdate. */
export const ensureCrdsHook = defineHook({ name: "ensure-crds", onStartup: 5 }, handle);
