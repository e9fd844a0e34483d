// Tests for the status planner's promise to write only on change: a run over its own output
// writes nothing whatever the order of lists or the spelling of empty values; stale keys are
// removed; only changed fields are patched, condition timestamps kept; other SWHs left alone.

import type { Condition } from "../../api/v1alpha1.js";
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

describe("write only on change", () => {
  /** Runs the planner, stores its patch, and runs it again over the stored status. */
  function converge(
    swh: Json,
    services: Json[],
    slices: Json[],
  ): { second: ReturnType<typeof planStatus>; stored: Json } {
    const first = planStatus(snapshots([swh], services, slices), NOW);
    const stored = applyMergePatch(swh.status ?? {}, first.writes[0]?.mergePatch ?? {}) as Json;
    const second = planStatus(snapshots([{ ...swh, status: stored }], services, slices), LATER);
    return { second, stored };
  }

  it.each([
    // empty SWH
    [[], []],
    // endpoints and a child
    [[rawService("web")], [SLICE_A, SLICE_B]],
    // LoadBalancer child
    [[rawService("web", { type: "LoadBalancer" })], [SLICE_A]],
  ])("%#: a second run over the first run's result writes nothing", (services, slices) => {
    expect(converge(rawSwh("web"), services, slices).second.writes).toEqual([]);
  });

  it("ignores list order and empty values in the stored status", () => {
    const { stored } = converge(rawSwh("web"), [rawService("web")], [SLICE_A, SLICE_B]);
    const shuffled = {
      ...stored,
      conditions: [...(stored.conditions as unknown[])].reverse(),
      endpointStatuses: [...(stored.endpointStatuses as unknown[])].reverse(),
      loadBalancer: {},
    };
    const again = planStatus(
      snapshots([rawSwh("web", { status: shuffled })], [rawService("web")], [SLICE_A, SLICE_B]),
      LATER,
    );
    expect(again.writes).toEqual([]);
  });

  it("removes stale keys a merge patch would otherwise keep (Go's activeNodeName)", () => {
    const { stored } = converge(rawSwh("web"), [], [SLICE_B]);
    const legacy = {
      ...stored,
      healthcheckCondition: { ...(stored.healthcheckCondition as Json), activeNodeName: "n" },
    };
    const plan = planStatus(snapshots([rawSwh("web", { status: legacy })], [], [SLICE_B]), LATER);
    expect(plan.writes[0]?.mergePatch).toEqual({ healthcheckCondition: { activeNodeName: null } });
    const fixed = applyMergePatch(legacy, plan.writes[0]?.mergePatch) as Json;
    expect(
      planStatus(snapshots([rawSwh("web", { status: fixed })], [], [SLICE_B]), LATER).writes,
    ).toEqual([]);
  });

  it("patches only what changed and keeps unchanged condition timestamps", () => {
    const { stored } = converge(rawSwh("web"), [rawService("web")], [SLICE_B]);
    // The child Service disappears: only ChildServiceReady and the copied IPs change.
    const plan = planStatus(snapshots([rawSwh("web", { status: stored })], [], [SLICE_B]), LATER);
    const patch = plan.writes[0]?.mergePatch as Json;
    expect(Object.keys(patch).sort()).toEqual(["clusterIP", "clusterIPs", "conditions"]);
    expect(patch.clusterIP).toBeNull();
    const conditions = patch.conditions as Condition[];
    expect(conditions.find(c => c.type === "Ready")?.lastTransitionTime).toBe(
      "2024-05-01T10:00:00Z",
    );
    expect(conditions.find(c => c.type === "ChildServiceReady")?.lastTransitionTime).toBe(
      "2024-05-01T10:05:00Z",
    );
  });

  it("leaves other SWHs alone when one changes", () => {
    const a = converge(rawSwh("web"), [], [SLICE_B]).stored;
    const b = converge(rawSwh("db"), [], []).stored;
    const plan = planStatus(
      snapshots(
        [rawSwh("web", { status: a }), rawSwh("db", { status: b })],
        [],
        [SLICE_A, SLICE_B],
      ),
      LATER,
    );
    expect(plan.writes.map(w => w.name)).toEqual(["web"]);
    expect(plan.summaries.map(s => `${s.name}:${s.ready}/${s.total}`)).toEqual([
      "web:2/3",
      "db:0/0",
    ]);
  });
});
