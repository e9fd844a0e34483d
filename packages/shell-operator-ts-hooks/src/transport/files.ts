// The file side of both protocols: read the binding context and values named by the
// environment, and write the collected operations, metrics and values patches to the files the
// operator named. Outputs are written only after the handler succeeded (the operator ignores
// them after a failure anyway), and output that has nowhere to go is an error, not a silent loss.

import { parseBindingContexts } from "../binding-context.js";
import { parseJson, parseJsonObject, toJsonLines } from "../json.js";
import { moduleValuesKey } from "../values.js";
import type { JsonObject } from "../types/basics.js";
import type { BindingContext } from "../types/binding-contexts.js";
import type { HookRunResult, ProcessIO } from "../types/transport.js";

/** Environment variable names of the protocol files. */
export const ENV = {
  bindingContext: "BINDING_CONTEXT_PATH",
  values: "VALUES_PATH",
  configValues: "CONFIG_VALUES_PATH",
  kubernetesPatch: "KUBERNETES_PATCH_PATH",
  metrics: "METRICS_PATH",
  valuesPatch: "VALUES_JSON_PATCH_PATH",
  configValuesPatch: "CONFIG_VALUES_JSON_PATCH_PATH",
  moduleName: "MODULE_NAME",
} as const;

/** The inputs of one run, read from the files the environment names. */
export interface RunInputs {
  readonly contexts: BindingContext[];
  readonly values: JsonObject;
  readonly configValues: JsonObject;
  readonly moduleKey?: string;
}

/**
 * Reads BINDING_CONTEXT_PATH (required unless `optionalContext`), VALUES_PATH and
 * CONFIG_VALUES_PATH (optional: plain shell-operator has no values).
 */
export async function readRunInputs(io: ProcessIO, optionalContext = false): Promise<RunInputs> {
  const contextPath = io.env[ENV.bindingContext];
  if (!contextPath && !optionalContext) throw new Error(`${ENV.bindingContext} is not set`);
  const contexts = contextPath
    ? parseBindingContexts(
        parseJson(await readNamed(io, ENV.bindingContext, contextPath), contextPath),
      )
    : [];
  const values = await readObject(io, ENV.values);
  const configValues = await readObject(io, ENV.configValues);
  const moduleKey = valuesRootKey(io.env[ENV.moduleName], values);
  return { contexts, values, configValues, ...(moduleKey ? { moduleKey } : {}) };
}

/**
 * The values root key patches must use: from MODULE_NAME (addon-operator sets it for batch
 * hooks), else the only non-`global` top-level key of the values, else `global` for global
 * hooks; undefined when it cannot be told.
 */
export function valuesRootKey(
  moduleName: string | undefined,
  values: JsonObject,
): string | undefined {
  if (moduleName) return moduleValuesKey(moduleName);
  const keys = Object.keys(values).filter(key => key !== "global");
  if (keys.length === 1) return keys[0];
  if (keys.length === 0 && Object.hasOwn(values, "global")) return "global";
  return undefined;
}

async function readObject(io: ProcessIO, env: string): Promise<JsonObject> {
  const path = io.env[env];
  if (!path) return {};
  return parseJsonObject(await readNamed(io, env, path), `${env} (${path})`);
}

async function readNamed(io: ProcessIO, env: string, path: string): Promise<string> {
  try {
    return await io.readFile(path);
  } catch (cause) {
    throw new Error(`cannot read ${env} (${path})`, { cause });
  }
}

/**
 * Writes the run's outputs: patch operations and metrics as JSON lines, values patches as one
 * JSON array each. Empty outputs leave their files empty. Throws when there is output and its
 * variable is unset.
 */
export async function writeRunOutputs(
  io: ProcessIO,
  result: Omit<HookRunResult, "logs">,
): Promise<void> {
  const outputs: [string, number, string][] = [
    [ENV.kubernetesPatch, result.operations.length, toJsonLines(result.operations)],
    [ENV.metrics, result.metrics.length, toJsonLines(result.metrics)],
    [ENV.valuesPatch, result.valuesPatches.length, patchText(result.valuesPatches)],
    [
      ENV.configValuesPatch,
      result.configValuesPatches.length,
      patchText(result.configValuesPatches),
    ],
  ];
  const missing = outputs.filter(([env, count]) => count > 0 && !io.env[env]).map(([env]) => env);
  if (missing.length > 0)
    throw new Error(`the hook produced output but ${missing.join(", ")} is not set`);
  for (const [env, , content] of outputs) {
    const path = io.env[env];
    if (!path) continue;
    try {
      await io.writeFile(path, content);
    } catch (cause) {
      throw new Error(`cannot write ${env} (${path})`, { cause });
    }
  }
}

function patchText(ops: readonly unknown[]): string {
  return ops.length === 0 ? "" : `${JSON.stringify(ops)}\n`;
}
