// The ServiceWithHealthchecks CRD's schema for code that is not the API server: tests that check
// manifests, and tools that need the CRD's defaults. It loads crds/servicewithhealthchecks.yaml,
// applies the schema's defaults the way the API server does, lists the CEL rules, and turns the
// Kubernetes structural schema into JSON Schema that ajv can check. CEL rules are not evaluated
// here (no CEL engine runs in Node); they are checked by a real kube-apiserver in the e2e suite.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import formatsModule from "ajv-formats";
import { parse } from "yaml";
import { VERSION } from "../../api/contract.js";

/** One `x-kubernetes-validations` entry. */
export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: string;
}

/** A node of a Kubernetes structural schema (the keywords the CRD uses). */
export interface StructuralSchema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  properties?: Record<string, StructuralSchema>;
  additionalProperties?: StructuralSchema | boolean;
  items?: StructuralSchema;
  required?: string[];
  default?: unknown;
  nullable?: boolean;
  enum?: unknown[];
  anyOf?: StructuralSchema[];
  maxItems?: number;
  maxLength?: number;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-validations"?: CelRule[];
  [keyword: string]: unknown;
}

/** The parts of a CustomResourceDefinition this module reads. */
export interface CustomResourceDefinition {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    group: string;
    scope: string;
    names: Record<string, unknown>;
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: Record<string, unknown>;
      additionalPrinterColumns?: Array<{ name: string; type: string; jsonPath: string }>;
      schema: { openAPIV3Schema: StructuralSchema };
    }>;
  };
}

/** Absolute path of the CRD manifest in this repository. */
export const SWH_CRD_PATH = fileURLToPath(
  new URL("../../crds/servicewithhealthchecks.yaml", import.meta.url),
);

/** Reads and parses a CRD manifest (default: the ServiceWithHealthchecks CRD). */
export function loadCrd(path: string = SWH_CRD_PATH): CustomResourceDefinition {
  try {
    return parse(readFileSync(path, "utf8")) as CustomResourceDefinition;
  } catch (cause) {
    throw new Error(`cannot read the CRD at ${path}`, { cause });
  }
}

/** The openAPIV3Schema of one served version of a CRD (default: v1alpha1). */
export function openApiSchema(
  crd: CustomResourceDefinition = loadCrd(),
  version: string = VERSION,
): StructuralSchema {
  const found = crd.spec.versions.find(v => v.name === version);
  if (!found) throw new Error(`CRD ${crd.metadata.name} has no version ${version}`);
  return found.schema.openAPIV3Schema;
}

/**
 * Calls `visit` for every schema node with its path: `.spec.ports[].targetPort` (`[]` steps into
 * list items, `{}` into map values). anyOf branches are not fields and are not visited.
 */
export function walkSchema(
  node: StructuralSchema,
  visit: (node: StructuralSchema, path: string) => void,
  path = "",
): void {
  visit(node, path);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    walkSchema(child, visit, `${path}.${key}`);
  }
  if (node.items) walkSchema(node.items, visit, `${path}[]`);
  if (typeof node.additionalProperties === "object") {
    walkSchema(node.additionalProperties, visit, `${path}{}`);
  }
}

/** Every CEL rule of the schema with the path of the node that carries it. */
export function celRules(schema: StructuralSchema): Array<{ path: string } & CelRule> {
  const out: Array<{ path: string } & CelRule> = [];
  walkSchema(schema, (node, path) => {
    for (const rule of node["x-kubernetes-validations"] ?? []) out.push({ path, ...rule });
  });
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function defaultObject(schema: StructuralSchema, value: Record<string, unknown>): void {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    // The API server prunes nulls of non-nullable fields before defaulting.
    if (value[key] === null && !child.nullable) delete value[key];
    if (value[key] === undefined && child.default !== undefined) {
      value[key] = structuredClone(child.default);
    }
    if (value[key] !== undefined) defaultInPlace(child, value[key]);
  }
  const extra = schema.additionalProperties;
  if (typeof extra !== "object" || schema.properties) return;
  for (const entry of Object.values(value)) defaultInPlace(extra, entry);
}

function defaultInPlace(schema: StructuralSchema, value: unknown): void {
  if (Array.isArray(value) && schema.items) {
    for (const item of value) defaultInPlace(schema.items, item);
  } else if (isObject(value)) {
    defaultObject(schema, value);
  }
}

/**
 * Returns a copy of `value` with the schema's defaults filled in, as the API server does on
 * create, update and read: a missing (or null, when not nullable) field that has a `default`
 * gets it, recursively, including inside defaults just set. Absent objects stay absent.
 */
export function applyDefaults<T>(schema: StructuralSchema, value: T): T {
  const copy = structuredClone(value);
  defaultInPlace(schema, copy);
  return copy;
}

const DROPPED_KEYWORDS = new Set([
  "x-kubernetes-validations",
  "x-kubernetes-int-or-string",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-list-type",
  "x-kubernetes-map-type",
  "x-kubernetes-embedded-resource",
]);

/** Keyword the converted schema uses for list-map key uniqueness (checked by createValidator). */
export const LIST_MAP_KEYS_KEYWORD = "x-kubernetes-list-map-keys";

function convertChildren(
  node: StructuralSchema,
  out: Record<string, unknown>,
  root: boolean,
): void {
  if (node.properties) {
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([key, child]) => [
        key,
        // The root's metadata is ObjectMeta, validated by the API server itself: the schema
        // only declares what CEL rules refer to, so it stays open.
        convert(child, false, root && key === "metadata"),
      ]),
    );
  }
  if (node.items) out.items = convert(node.items);
  if (typeof node.additionalProperties === "object") {
    out.additionalProperties = convert(node.additionalProperties);
  }
}

function convert(node: StructuralSchema, root = false, open = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (!DROPPED_KEYWORDS.has(key) && key !== "anyOf") out[key] = structuredClone(value);
  }
  if (node.anyOf) out.anyOf = node.anyOf.map(branch => convert(branch));
  convertChildren(node, out, root);
  translateKubernetesKeywords(node, out, open);
  return out;
}

/** The JSON Schema equivalents of int-or-string, nullable, sets and pruning. */
function translateKubernetesKeywords(
  node: StructuralSchema,
  out: Record<string, unknown>,
  open: boolean,
): void {
  if (node["x-kubernetes-int-or-string"] && !node.anyOf) out.type = ["integer", "string"];
  if (node.nullable && node.type) out.type = [node.type, "null"];
  if (node["x-kubernetes-list-type"] === "set") out.uniqueItems = true;
  const closed = !open && node["x-kubernetes-preserve-unknown-fields"] !== true;
  if (node.properties && node.additionalProperties === undefined && closed) {
    out.additionalProperties = false;
  }
}

/**
 * Converts a CRD's openAPIV3Schema to JSON Schema for ajv: int-or-string becomes
 * `integer|string`, `nullable` admits null, `x-kubernetes-list-type: set` becomes `uniqueItems`,
 * objects with declared properties reject unknown fields (as `kubectl apply` does with its
 * default strict field validation; the root's `metadata` stays open), and the other
 * `x-kubernetes-*` keywords are dropped. List-map keys stay, for createValidator's keyword.
 */
export function toJsonSchema(schema: StructuralSchema): Record<string, unknown> {
  return convert(schema, true);
}

/**
 * The key tuples (JSON, e.g. `[80,"TCP"]`) that occur more than once among `items`: a list-map
 * must not repeat a key, and the API server rejects such a list as a duplicate value.
 */
export function duplicateListMapKeys(keys: readonly string[], items: readonly unknown[]): string[] {
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const item of items) {
    const id = JSON.stringify(keys.map(k => (isObject(item) ? item[k] : undefined)));
    if (seen.has(id)) duplicates.push(id);
    seen.add(id);
  }
  return duplicates;
}

type ListMapCheck = ((keys: string[], data: unknown) => boolean) & {
  errors?: Array<Partial<ErrorObject>>;
};

/** ajv keyword function for LIST_MAP_KEYS_KEYWORD. */
const checkListMapKeys: ListMapCheck = (keys, data) => {
  const duplicates = Array.isArray(data) ? duplicateListMapKeys(keys, data) : [];
  checkListMapKeys.errors = duplicates.map(duplicate => ({
    keyword: LIST_MAP_KEYS_KEYWORD,
    params: { keys, duplicate },
    message: `must not repeat the list-map key ${keys.join("+")} = ${duplicate}`,
  }));
  return duplicates.length === 0;
};

/** One structural violation, in ajv's terms. */
export interface SchemaError {
  /** JSON pointer of the offending value, `/` for the root, e.g. `/spec/ports/0/port`. */
  path: string;
  /** The JSON Schema keyword that failed: `maximum`, `enum`, `required`, `type`, ... */
  keyword: string;
  /** `<path> <message>`, e.g. `/spec/ports/0/port must be <= 65535`. */
  text: string;
}

/** Result of checking one object against the schema. */
export interface SchemaCheck {
  /** True when no structural rule is violated (CEL rules are not evaluated). */
  valid: boolean;
  errors: SchemaError[];
  /** The object with defaults applied, as the API server would store it. */
  defaulted: unknown;
}

function describeError(error: ErrorObject): SchemaError {
  const path = error.instancePath === "" ? "/" : error.instancePath;
  const params = error.params as { additionalProperty?: string; allowedValues?: unknown[] };
  const detail =
    params.additionalProperty !== undefined
      ? ` "${params.additionalProperty}"`
      : params.allowedValues !== undefined
        ? ` ${JSON.stringify(params.allowedValues)}`
        : "";
  return {
    path,
    keyword: error.keyword,
    text: `${path} ${error.message ?? error.keyword}${detail}`,
  };
}

/**
 * Compiles the schema's structural part (types, ranges, enums, patterns, required fields,
 * unknown fields, list-map keys) into a checker that first applies defaults, like the API
 * server. CEL rules are not evaluated.
 */
export function createValidator(
  schema: StructuralSchema = openApiSchema(),
): (object: unknown) => SchemaCheck {
  const ajv = new Ajv({ strict: false, allErrors: true });
  formatsModule.default(ajv, ["date-time", "hostname", "int32", "int64"]);
  ajv.addKeyword({
    keyword: LIST_MAP_KEYS_KEYWORD,
    type: "array",
    schemaType: "array",
    validate: checkListMapKeys,
  });
  const validate: ValidateFunction = ajv.compile(toJsonSchema(schema));
  return object => {
    const defaulted = applyDefaults(schema, object);
    const valid = validate(defaulted);
    return { valid, errors: (validate.errors ?? []).map(describeError), defaulted };
  };
}
