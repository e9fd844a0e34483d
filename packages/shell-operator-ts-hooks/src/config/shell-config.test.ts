// The `--config` document: every field serialised in shell-operator's v1 shape (without the
// TS `filter`), validated by our ajv schema; invalid documents are rejected by that schema.

import { defineHook } from "../hook.js";
import { validateShellOperatorConfig } from "./schema.js";
import { isModuleHook, toShellOperatorConfig } from "./shell-config.js";

const everyField = defineHook(
  {
    name: "every-field",
    onStartup: 10,
    queue: "swh",
    allowFailure: false,
    settings: { executionMinInterval: "3s", executionBurst: 2 },
    schedule: [
      { name: "fence", crontab: "*/30 * * * * *", includeSnapshotsFrom: ["pods"], group: "g" },
    ],
    kubernetes: {
      pods: {
        name: "pods",
        apiVersion: "v1",
        kind: "Pod",
        nameSelector: { matchNames: ["a", "b"] },
        labelSelector: {
          matchLabels: { app: "db" },
          matchExpressions: [{ key: "tier", operator: "In", values: ["x"] }],
        },
        fieldSelector: {
          matchExpressions: [{ field: "status.phase", operator: "=", value: "Running" }],
        },
        namespace: {
          nameSelector: { matchNames: ["prod"] },
          labelSelector: { matchLabels: { a: "b" } },
        },
        executeHookOnEvent: ["Added", "Deleted"],
        executeHookOnSynchronization: false,
        waitForSynchronization: false,
        keepFullObjectsInMemory: false,
        resynchronizationPeriod: "10m",
        jqFilter: "{metadata: {name: .metadata.name}}",
        includeSnapshotsFrom: ["pods"],
        allowFailure: true,
        queue: "pods",
        group: "g",
        filter: (input: unknown) => input,
      },
    },
  },
  () => undefined,
);

describe("toShellOperatorConfig", () => {
  it("serialises every field and no TS-only ones", () => {
    const config = toShellOperatorConfig(everyField);
    expect(config).toEqual({
      configVersion: "v1",
      onStartup: 10,
      schedule: [
        {
          name: "fence",
          crontab: "*/30 * * * * *",
          allowFailure: false,
          includeSnapshotsFrom: ["pods"],
          queue: "swh",
          group: "g",
        },
      ],
      kubernetes: [
        {
          name: "pods",
          apiVersion: "v1",
          kind: "Pod",
          nameSelector: { matchNames: ["a", "b"] },
          labelSelector: {
            matchLabels: { app: "db" },
            matchExpressions: [{ key: "tier", operator: "In", values: ["x"] }],
          },
          fieldSelector: {
            matchExpressions: [{ field: "status.phase", operator: "=", value: "Running" }],
          },
          namespace: {
            nameSelector: { matchNames: ["prod"] },
            labelSelector: { matchLabels: { a: "b" } },
          },
          executeHookOnEvent: ["Added", "Deleted"],
          executeHookOnSynchronization: false,
          waitForSynchronization: false,
          keepFullObjectsInMemory: false,
          resynchronizationPeriod: "10m",
          jqFilter: "{metadata: {name: .metadata.name}}",
          includeSnapshotsFrom: ["pods"],
          allowFailure: true,
          queue: "pods",
          group: "g",
        },
      ],
      settings: { executionMinInterval: "3s", executionBurst: 2 },
    });
    expect(validateShellOperatorConfig(config)).toEqual([]);
  });

  it("emits the addon-operator lifecycle keys only for module hooks", () => {
    const plain = defineHook({ name: "p", onStartup: 1 }, () => undefined);
    const module = defineHook(
      { name: "m", onBeforeHelm: 10, onAfterDeleteHelm: 5 },
      () => undefined,
    );
    expect(isModuleHook(plain)).toBe(false);
    expect(isModuleHook(module)).toBe(true);
    const config = toShellOperatorConfig(module);
    expect(config).toEqual({ configVersion: "v1", beforeHelm: 10, afterDeleteHelm: 5 });
    expect(validateShellOperatorConfig(config, "addon-operator-module")).toEqual([]);
    // plain shell-operator does not know these keys
    expect(validateShellOperatorConfig(config)).not.toEqual([]);
  });
});

describe("validateShellOperatorConfig", () => {
  const binding = { kind: "Pod" };
  it.each([
    // the minimal valid documents
    [{ configVersion: "v1", onStartup: 1 }, true],
    [{ configVersion: "v1", kubernetes: [binding] }, true],
    // `watchEvent` is an accepted alias of executeHookOnEvent
    [{ configVersion: "v1", kubernetes: [{ ...binding, watchEvent: [] }] }, true],
    // six-field crontab, descriptor, @every
    [
      {
        configVersion: "v1",
        schedule: [{ crontab: "0 */5 * * * *" }, { crontab: "@hourly" }, { crontab: "@every 90s" }],
      },
      true,
    ],
    // configVersion alone: at least two properties
    [{ configVersion: "v1" }, false],
    // wrong configVersion enum
    [{ configVersion: "v2", onStartup: 1 }, false],
    // unknown top-level key
    [{ configVersion: "v1", onStartup: 1, beforeHelm: 1 }, false],
    // bad crontab: 3 fields
    [{ configVersion: "v1", schedule: [{ crontab: "* * *" }] }, false],
    // bad crontab: minute out of range
    [{ configVersion: "v1", schedule: [{ crontab: "61 * * * *" }] }, false],
    // bad crontab: garbage step
    [{ configVersion: "v1", schedule: [{ crontab: "*/x * * * *" }] }, false],
    // fieldSelector expression with a 4th key
    [
      {
        configVersion: "v1",
        kubernetes: [
          {
            ...binding,
            fieldSelector: {
              matchExpressions: [{ field: "a", operator: "=", value: "b", extra: "c" }],
            },
          },
        ],
      },
      false,
    ],
    // fieldSelector expression with only 2 keys
    [
      {
        configVersion: "v1",
        kubernetes: [
          { ...binding, fieldSelector: { matchExpressions: [{ field: "a", operator: "=" }] } },
        ],
      },
      false,
    ],
    // bad fieldSelector operator enum
    [
      {
        configVersion: "v1",
        kubernetes: [
          {
            ...binding,
            fieldSelector: { matchExpressions: [{ field: "a", operator: "~", value: "b" }] },
          },
        ],
      },
      false,
    ],
    // bad watch event enum
    [{ configVersion: "v1", kubernetes: [{ ...binding, executeHookOnEvent: ["Updated"] }] }, false],
    // bad label selector operator enum
    [
      {
        configVersion: "v1",
        kubernetes: [
          { ...binding, labelSelector: { matchExpressions: [{ key: "a", operator: "Equals" }] } },
        ],
      },
      false,
    ],
    // empty namespace selector (needs one or two keys)
    [{ configVersion: "v1", kubernetes: [{ ...binding, namespace: {} }] }, false],
    // kind is required
    [{ configVersion: "v1", kubernetes: [{ name: "x" }] }, false],
    // waitForSynchronization: false needs a queue
    [{ configVersion: "v1", kubernetes: [{ ...binding, waitForSynchronization: false }] }, false],
    [
      {
        configVersion: "v1",
        kubernetes: [{ ...binding, waitForSynchronization: false, queue: "q" }],
      },
      true,
    ],
    // settings: Go duration and integer burst
    [{ configVersion: "v1", onStartup: 1, settings: { executionMinInterval: "5 seconds" } }, false],
    [{ configVersion: "v1", onStartup: 1, settings: { executionBurst: 1.5 } }, false],
    // includeSnapshotsFrom must not be empty
    [{ configVersion: "v1", kubernetes: [{ ...binding, includeSnapshotsFrom: [] }] }, false],
  ])("%j valid=%s", (config, valid) => {
    const errors = validateShellOperatorConfig(config);
    expect(errors.length === 0).toBe(valid);
  });

  it("names the offending path", () => {
    const errors = validateShellOperatorConfig({
      configVersion: "v1",
      schedule: [{ crontab: "* *" }],
    });
    expect(errors.join("\n")).toMatch(/\/schedule\/0\/crontab/);
  });
});
