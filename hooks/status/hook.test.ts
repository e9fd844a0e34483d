// Tests for the status hook as a whole, through the hook library's test runner: status
// MergePatches on the status subresource, one per changed SWH; nothing when every status is
// current; the per-SWH gauges and the expired group when there is no SWH; a wake-up Lease
// renewal ends a fail-open hold that has elapsed; no schedule, the wake-up Lease binding instead.

import {
  runHookForTest,
  toShellOperatorConfig,
  validateShellOperatorConfig,
} from "shell-operator-ts-hooks/testing";
import { execFileSync } from "node:child_process";
import { MODULE_NAMESPACE, STATUS_WAKEUP_LEASE } from "../../api/contract.js";
import { STATUS_WAKEUP_BINDING } from "../lib/status-wakeup.js";
import { STATUS_METRICS } from "./metrics.js";
import { statusHook } from "./hook.js";
import { planStatus } from "./plan.js";
import {
  LATER,
  NOW,
  SLICE_A,
  SLICE_B,
  applyMergePatch,
  rawService,
  rawSwh,
  snapshots,
  type Json,
} from "./test-fixtures.js";

describe("status hook", () => {
  it("writes status MergePatches on the status subresource, one per changed SWH, and gauges", async () => {
    const web = rawSwh("web");
    const db = rawSwh("db");
    const result = await runHookForTest(statusHook, {
      now: NOW,
      snapshots: { swhs: [web, db], services: [rawService("web")], slices: [SLICE_A, SLICE_B] },
    });
    expect(result.operations.map(o => o.operation)).toEqual(["MergePatch", "MergePatch"]);
    expect(result.operations[0]).toMatchObject({
      apiVersion: "network.deckhouse.io/v1alpha1",
      kind: "ServiceWithHealthchecks",
      namespace: "prod",
      name: "web",
      subresource: "status",
      ignoreMissingObject: true,
    });
    // The patch is of the whole object: everything it changes sits under `status`.
    for (const op of result.operations) {
      expect(Object.keys((op as { mergePatch: object }).mergePatch)).toEqual(["status"]);
    }
    expect(result.metrics).toContainEqual(
      expect.objectContaining({
        name: STATUS_METRICS.readyEndpoints,
        action: "set",
        value: 2,
        labels: { namespace: "prod", name: "web" },
        group: "swh_status",
      }),
    );
    expect(result.metrics).toContainEqual(
      expect.objectContaining({
        name: STATUS_METRICS.childServiceReady,
        value: 0,
        labels: { namespace: "prod", name: "db" },
      }),
    );
  });

  it("writes nothing when every stored status is current", async () => {
    const first = planStatus(snapshots([rawSwh("web")], [rawService("web")], [SLICE_A]), NOW);
    const stored = applyMergePatch({}, first.writes[0]?.mergePatch) as Json;
    const result = await runHookForTest(statusHook, {
      now: LATER,
      snapshots: {
        swhs: [rawSwh("web", { status: stored })],
        services: [rawService("web")],
        slices: [SLICE_A],
      },
    });
    expect(result.operations).toEqual([]);
  });

  it("expires the metric group when there is no SWH", async () => {
    const result = await runHookForTest(statusHook, {
      now: NOW,
      snapshots: { swhs: [], services: [], slices: [] },
    });
    expect(result.metrics).toEqual([{ action: "expire", group: "swh_status" }]);
  });

  it("ends an elapsed fail-open hold on a run the wake-up Lease starts", async () => {
    // 1 of 2 endpoints pass (SLICE_A): at the minimum of 50 %, held for 31 s of a 30 s hold.
    const status = { failOpen: { active: true, passingSince: "2024-05-01T09:59:29Z" } };
    const web = rawSwh("web", { status });
    const spec = web.spec as { healthcheck: Json };
    spec.healthcheck.failOpen = { minPassingPercent: 50 };
    const result = await runHookForTest(statusHook, {
      now: NOW,
      snapshots: {
        swhs: [web],
        services: [rawService("web")],
        slices: [SLICE_A],
        [STATUS_WAKEUP_BINDING]: [{ spec: { renewTime: "2024-05-01T10:00:00.000000Z" } }],
      },
    });
    const patch = result.operations[0] as { mergePatch: { status: Json } };
    expect(patch.mergePatch.status.failOpen).toMatchObject({ active: false });
  });
});

describe("status hook config", () => {
  it("has no schedule and runs on every renewal of the wake-up Lease", () => {
    const config = toShellOperatorConfig(statusHook);
    expect(validateShellOperatorConfig(config, "addon-operator-module")).toEqual([]);
    expect(config.schedule).toBeUndefined();
    const bindings = config.kubernetes as readonly { name: string; jqFilter?: string }[];
    const binding = bindings.find(k => k.name === STATUS_WAKEUP_BINDING);
    expect(binding).toEqual(
      expect.objectContaining({
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        nameSelector: { matchNames: [STATUS_WAKEUP_LEASE] },
        namespace: { nameSelector: { matchNames: [MODULE_NAMESPACE] } },
      }),
    );
    expect(binding).not.toHaveProperty("executeHookOnEvent");
    // The filter result is the renewal time, so every renewal is a change that runs the hook.
    const jq = (renewTime: string): unknown =>
      JSON.parse(
        execFileSync("jq", ["-c", binding?.jqFilter ?? "."], {
          input: JSON.stringify({ metadata: { name: STATUS_WAKEUP_LEASE }, spec: { renewTime } }),
        }).toString("utf8"),
      );
    expect(jq("2024-05-01T10:00:00.000000Z")).not.toEqual(jq("2024-05-01T10:00:05.000000Z"));
  });
});
