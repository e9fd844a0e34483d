// The batch `hook config` document: module-sdk's BatchHookConfig JSON field names and encodings
// (pkg/hook/dto.go), as addon-operator's batch loader unmarshals them.

import { defineHook } from "../hook.js";
import { batchConfigWarnings, toBatchHookConfig } from "./batch-config.js";

const swhHook = defineHook(
  {
    name: "child-services",
    onBeforeHelm: 10,
    onAfterHelm: 20,
    onAfterDeleteHelm: 5,
    queue: "swh",
    allowFailure: false,
    settings: { executionMinInterval: "1m30s", executionBurst: 3 },
    schedule: [{ name: "resync", crontab: "*/5 * * * *" }],
    kubernetes: {
      swh: {
        name: "swh",
        apiVersion: "network.deckhouse.io/v1alpha1",
        kind: "ServiceWithHealthchecks",
        jqFilter: "{metadata: .metadata, spec: .spec}",
        executeHookOnSynchronization: true,
        filter: (x: unknown) => x,
      },
      services: {
        name: "services",
        apiVersion: "v1",
        kind: "Service",
        labelSelector: { matchLabels: { heritage: "deckhouse" } },
        namespace: { nameSelector: { matchNames: ["prod"] } },
        fieldSelector: {
          matchExpressions: [{ field: "metadata.name", operator: "!=", value: "x" }],
        },
        nameSelector: { matchNames: ["a"] },
        executeHookOnEvent: [],
        waitForSynchronization: false,
        resynchronizationPeriod: "10m",
        includeSnapshotsFrom: ["swh"],
        allowFailure: true,
        queue: "services",
      },
    },
  },
  () => undefined,
);

describe("toBatchHookConfig", () => {
  it("uses module-sdk's field names and encodings", () => {
    const doc = toBatchHookConfig([
      swhHook,
      defineHook({ name: "startup", onStartup: 1 }, () => undefined),
    ]);
    expect(JSON.parse(JSON.stringify(doc))).toEqual({
      version: "v1",
      hooks: [
        {
          configVersion: "v1",
          metadata: { name: "child-services", path: "child-services" },
          schedule: [{ name: "resync", crontab: "*/5 * * * *", queue: "swh" }],
          kubernetes: [
            {
              name: "swh",
              apiVersion: "network.deckhouse.io/v1alpha1",
              kind: "ServiceWithHealthchecks",
              executeHookOnSynchronization: true,
              // as module-sdk: objects are dropped, the jq result is kept
              keepFullObjectsInMemory: false,
              jqFilter: "{metadata: .metadata, spec: .spec}",
              allowFailure: false,
              queue: "swh",
            },
            {
              name: "services",
              apiVersion: "v1",
              kind: "Service",
              nameSelector: { matchNames: ["a"] },
              namespace: { nameSelector: { matchNames: ["prod"] } },
              labelSelector: { matchLabels: { heritage: "deckhouse" } },
              fieldSelector: {
                matchExpressions: [{ field: "metadata.name", operator: "!=", value: "x" }],
              },
              // [] -> false (snapshot-only binding)
              executeHookOnEvent: false,
              waitForSynchronization: false,
              keepFullObjectsInMemory: false,
              // no jqFilter: "." so items keep data with keepFullObjectsInMemory false
              jqFilter: ".",
              allowFailure: true,
              resynchronizationPeriod: "10m",
              includeSnapshotsFrom: ["swh"],
              queue: "services",
            },
          ],
          beforeHelm: 10,
          afterHelm: 20,
          afterDeleteHelm: 5,
          allowFailure: false,
          // Go time.Duration: nanoseconds
          settings: { executionMinInterval: 90_000_000_000, executionBurst: 3 },
        },
        { configVersion: "v1", metadata: { name: "startup", path: "startup" }, onStartup: 1 },
      ],
    });
  });

  it("keeps full objects when the binding asks for them and has no jqFilter", () => {
    const hook = defineHook(
      { name: "h", kubernetes: { n: { name: "n", kind: "Node", keepFullObjectsInMemory: true } } },
      () => undefined,
    );
    expect(toBatchHookConfig([hook]).hooks[0]?.kubernetes?.[0]).toEqual({
      name: "n",
      kind: "Node",
      keepFullObjectsInMemory: true,
    });
  });

  it("adds a readiness entry that runs on a seconds schedule", () => {
    const doc = toBatchHookConfig([], {
      readiness: { intervalSeconds: 5, probe: () => undefined },
    });
    expect(doc.readiness).toEqual({
      configVersion: "v1",
      metadata: { name: "readiness", path: "readiness" },
      schedule: [{ name: "readiness", crontab: "*/5 * * * * *" }],
    });
  });

  it("rejects an invalid executionMinInterval with the hook name", () => {
    const hook = defineHook(
      { name: "bad", onStartup: 1, settings: { executionMinInterval: "soon" } },
      () => undefined,
    );
    expect(() => toBatchHookConfig([hook])).toThrow(/hook bad: settings.executionMinInterval/);
  });
});

describe("batchConfigWarnings", () => {
  it("reports what the batch encoding loses", () => {
    const hook = defineHook(
      {
        name: "lossy",
        onBeforeDeleteHelm: 1,
        schedule: [{ crontab: "* * * * *", allowFailure: true }],
        kubernetes: { p: { name: "p", kind: "Pod", executeHookOnEvent: ["Added"], group: "x" } },
      },
      () => undefined,
    );
    expect(batchConfigWarnings([hook])).toHaveLength(4);
    expect(batchConfigWarnings([swhHook])).toEqual([]);
  });
});
