// Our JSON schema of shell-operator's `configVersion: v1` hook config, written from the
// documented schema (shell-operator pkg/hook/config/schemas.go, reference A.2), validated with
// ajv. It backs the tests and a runtime self-check before `--config` prints anything. It is
// slightly stricter than upstream where upstream would only fail later, at operator start:
// crontabs and Go durations are parsed, and `waitForSynchronization: false` needs a `queue`.

import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { crontabError } from "./crontab.js";
import { isGoDuration } from "./duration.js";

const stringList = { type: "array", minItems: 1, items: { type: "string" } } as const;

const nameSelector = {
  type: "object",
  additionalProperties: false,
  required: ["matchNames"],
  properties: { matchNames: { type: "array", items: { type: "string" } } },
} as const;

const labelSelector = {
  type: "object",
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 2,
  properties: {
    matchLabels: { type: "object", additionalProperties: { type: "string" } },
    matchExpressions: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["key", "operator"],
        properties: {
          key: { type: "string" },
          operator: { enum: ["In", "NotIn", "Exists", "DoesNotExist"] },
          values: { type: "array", items: { type: "string" } },
        },
      },
    },
  },
} as const;

const fieldSelector = {
  type: "object",
  additionalProperties: false,
  required: ["matchExpressions"],
  properties: {
    matchExpressions: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        // exactly the three keys
        required: ["field", "operator", "value"],
        minProperties: 3,
        maxProperties: 3,
        properties: {
          field: { type: "string" },
          operator: { enum: ["=", "==", "Equals", "!=", "NotEquals"] },
          value: { type: "string" },
        },
      },
    },
  },
} as const;

const watchEvents = {
  type: "array",
  items: { enum: ["Added", "Modified", "Deleted"] },
} as const;

const kubernetesBinding = {
  type: "object",
  additionalProperties: false,
  required: ["kind"],
  properties: {
    name: { type: "string" },
    apiVersion: { type: "string" },
    kind: { type: "string", minLength: 1 },
    executeHookOnEvent: watchEvents,
    watchEvent: watchEvents,
    executeHookOnSynchronization: { type: "boolean" },
    waitForSynchronization: { type: "boolean" },
    keepFullObjectsInMemory: { type: "boolean" },
    resynchronizationPeriod: { type: "string", format: "go-duration" },
    nameSelector,
    labelSelector,
    fieldSelector,
    namespace: {
      type: "object",
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 2,
      properties: { nameSelector, labelSelector },
    },
    jqFilter: { type: "string" },
    includeSnapshotsFrom: stringList,
    allowFailure: { type: "boolean" },
    queue: { type: "string" },
    group: { type: "string" },
  },
  // waitForSynchronization: false is only allowed with an explicit queue
  if: {
    required: ["waitForSynchronization"],
    properties: { waitForSynchronization: { const: false } },
  },
  then: { required: ["queue"] },
} as const;

const scheduleBinding = {
  type: "object",
  additionalProperties: false,
  required: ["crontab"],
  properties: {
    name: { type: "string" },
    crontab: { type: "string", format: "crontab" },
    allowFailure: { type: "boolean" },
    includeSnapshotsFrom: stringList,
    queue: { type: "string" },
    group: { type: "string" },
  },
} as const;

const order = { type: "number" } as const;

/** Which operator reads the document: plain shell-operator, or addon-operator (module hook). */
export type ConfigFlavor = "shell-operator" | "addon-operator-module";

/** The v1 schema; the module flavor adds addon-operator's lifecycle keys. */
export function shellOperatorConfigSchema(flavor: ConfigFlavor = "shell-operator"): object {
  const lifecycle =
    flavor === "addon-operator-module"
      ? { beforeHelm: order, afterHelm: order, beforeDeleteHelm: order, afterDeleteHelm: order }
      : {};
  return {
    type: "object",
    additionalProperties: false,
    required: ["configVersion"],
    minProperties: 2,
    properties: {
      configVersion: { enum: ["v1"] },
      onStartup: { type: "integer" },
      ...lifecycle,
      schedule: { type: "array", minItems: 1, items: scheduleBinding },
      kubernetes: { type: "array", minItems: 1, items: kubernetesBinding },
      settings: {
        type: "object",
        additionalProperties: false,
        properties: {
          executionMinInterval: { type: "string", format: "go-duration" },
          executionBurst: { type: "integer", minimum: 1 },
        },
      },
    },
  };
}

const validators = new Map<ConfigFlavor, ValidateFunction>();

function validatorFor(flavor: ConfigFlavor): ValidateFunction {
  const cached = validators.get(flavor);
  if (cached) return cached;
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
  ajv.addFormat("crontab", {
    type: "string",
    validate: (s: string) => crontabError(s) === undefined,
  });
  ajv.addFormat("go-duration", { type: "string", validate: isGoDuration });
  const validate = ajv.compile(shellOperatorConfigSchema(flavor));
  validators.set(flavor, validate);
  return validate;
}

/** The schema violations of `config` as `path: message` strings (empty when valid). */
export function validateShellOperatorConfig(
  config: unknown,
  flavor: ConfigFlavor = "shell-operator",
): string[] {
  const validate = validatorFor(flavor);
  if (validate(config)) return [];
  return (validate.errors ?? []).map(describe);
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === "" ? "(root)" : error.instancePath;
  const extra =
    error.keyword === "additionalProperties"
      ? ` (${String((error.params as { additionalProperty?: string }).additionalProperty)})`
      : "";
  return `${where}: ${error.message ?? error.keyword}${extra}`;
}
