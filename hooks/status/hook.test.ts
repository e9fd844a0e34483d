// Tests for the status hook as a whole, through the hook library's test runner: status
// MergePatches on the status subresource, one per changed SWH; nothing when every status is
// current; the per-SWH gauges and the expired group when there is no SWH.

import { runHookForTest } from "shell-operator-ts-hooks/testing";
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
});
