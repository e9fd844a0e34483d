// The module's settings and values, the way Deckhouse handles them: `openapi/config-values.yaml`
// validates a ModuleConfig's `spec.settings` (objects closed unless the schema says otherwise,
// defaults filled), and `openapi/values.yaml` (extending it with `x-extend`) validates the
// values the hooks and templates see. Like Deckhouse, each validation evaluates the schema's
// `x-deckhouse-validations` CEL rules first, on the value as given (settings as the user wrote
// them, without defaults; values with defaults, as hooks see them), then the OpenAPI schema.
// Shared by the ModuleConfig bridge (the stand-in for the deckhouse-controller) and the operator
// stand-in. Pure apart from reading the schema files.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";
import { describeFailure, evaluateValidations } from "./deckhouse-validations.js";

/** `service-with-healthchecks` → `serviceWithHealthchecks` (addon-operator's values key). */
export function camelCaseName(moduleName: string): string {
  return moduleName.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

type Schema = Record<string, unknown>;

/**
 * Deckhouse treats an object schema without `additionalProperties` as closed; returns a copy of
 * `schema` saying so explicitly, with documentation-only keys dropped.
 */
export function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (schema === null || typeof schema !== "object") return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "x-examples" || key === "x-extend") continue;
    out[key] =
      key === "properties"
        ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, closeObjects(v)]))
        : closeObjects(value);
  }
  const preserves = out["x-kubernetes-preserve-unknown-fields"] === true;
  if (out.type === "object" && out.additionalProperties === undefined && !preserves) {
    out.additionalProperties = out.properties === undefined ? true : false;
  }
  return out;
}

/** Merges `x-extend`ed properties: the values schema gets every config-values property too. */
export function extendSchema(values: Schema, config: Schema): Schema {
  const props = {
    ...((config.properties as Schema | undefined) ?? {}),
    ...((values.properties as Schema | undefined) ?? {}),
  };
  return { ...config, ...values, type: "object", properties: props };
}

/** Validators for one module's settings and values. */
export interface ModuleSchemas {
  /** Validates (and fills defaults into) user settings; returns the errors, empty when valid. */
  validateSettings(settings: unknown): string[];
  /** Validates (and fills defaults into) the module values; returns the errors. */
  validateValues(values: unknown): string[];
}

function errorsOf(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map(e => {
    const where =
      e.instancePath === "" ? "settings" : `settings${e.instancePath.replace(/\//g, ".")}`;
    const extra =
      e.keyword === "additionalProperties"
        ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})`
        : e.keyword === "enum"
          ? ` (${((e.params as { allowedValues?: unknown[] }).allowedValues ?? []).join(", ")})`
          : "";
    return `${where} ${e.message ?? "is invalid"}${extra}`;
  });
}

/** A validator: the schema's CEL rules on the value as given, then ajv (which fills defaults). */
function validatorOf(ajv: Ajv, schema: Schema): (value: unknown) => string[] {
  const validate = ajv.compile(closeObjects(schema) as Schema);
  return value => {
    const rules = evaluateValidations(schema, value).map(f => describeFailure(f));
    return [...rules, ...(validate(value) ? [] : errorsOf(validate))];
  };
}

/**
 * Validators for the parsed `config-values.yaml` schema and, when the module has one, the
 * `values.yaml` schema (extended with the config schema, as `x-extend` says). Pure.
 */
export function compileModuleSchemas(
  config: Record<string, unknown>,
  values?: Record<string, unknown>,
): ModuleSchemas {
  const ajv = new Ajv({
    strict: false,
    useDefaults: true,
    allErrors: true,
    formats: { int64: true },
  });
  return {
    validateSettings: validatorOf(ajv, config),
    validateValues: validatorOf(ajv, values ? extendSchema(values, config) : config),
  };
}

/** Loads `openapi/config-values.yaml` and `openapi/values.yaml` of a module directory. */
export function loadModuleSchemas(moduleDir: string): ModuleSchemas {
  const read = (file: string): Schema =>
    parse(readFileSync(join(moduleDir, "openapi", file), "utf8")) as Schema;
  const config = read("config-values.yaml");
  let values: Schema | undefined;
  try {
    values = read("values.yaml");
  } catch {
    values = undefined;
  }
  return compileModuleSchemas(config, values);
}
