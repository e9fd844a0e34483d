// The GC hook's wake-up of the status hook, on fake time: the SWH snapshot keeps a running
// fail-open hold (jq as the operator runs it, and full objects alike), nothing is written while
// no hold runs or while a hold has not elapsed, and one Lease renewal once one (or several) has.

import { execFileSync } from "node:child_process";
import { runHookForTest } from "shell-operator-ts-hooks/testing";
import {
  ANNOTATION_WAKEUP_FOR,
  MODULE_NAMESPACE,
  STATUS_WAKEUP_LEASE,
} from "../../api/contract.js";
import { endpointsliceGcHook } from "./hook.js";
import {
  GC_SWH_JQ_FILTER,
  filterGcSwh,
  planFailOpenWakeup,
  type GcSwh,
} from "./fail-open-wakeup.js";

const SINCE = "2026-01-01T00:00:00Z";
/** `seconds` after the hold started. */
const after = (seconds: number): Date => new Date(Date.parse(SINCE) + seconds * 1000);

/** A full SWH; `failOpen` sets spec.healthcheck.failOpen, `status` is stored as is. */
function rawSwh(name: string, opts: { failOpen?: boolean; period?: number; status?: object } = {}) {
  const healthcheck: Record<string, unknown> = { probes: [{ mode: "TCP" }] };
  if (opts.failOpen === true) healthcheck.failOpen = { minPassingPercent: 50 };
  if (opts.period !== undefined) healthcheck.periodSeconds = opts.period;
  return {
    apiVersion: "network.deckhouse.io/v1alpha1",
    kind: "ServiceWithHealthchecks",
    metadata: { name, namespace: "prod", uid: `uid-${name}`, generation: 1 },
    spec: { selector: { app: name }, ports: [{ port: 80 }], healthcheck },
    ...(opts.status === undefined ? {} : { status: opts.status }),
  };
}

const HOLDING = { failOpen: { active: true, passingSince: SINCE, passingEndpoints: 3 } };
const holding = (name: string, period?: number) =>
  rawSwh(name, { failOpen: true, period, status: HOLDING });

function gcSwh(raw: unknown): GcSwh {
  const s = filterGcSwh(raw);
  if (s === undefined) throw new Error("fixture SWH did not pass the filter");
  return s;
}

function runJq(input: unknown): unknown {
  const out = execFileSync("jq", ["-c", GC_SWH_JQ_FILTER], { input: JSON.stringify(input) });
  return JSON.parse(out.toString("utf8"));
}

describe("the GC hook's SWH snapshot", () => {
  it("keeps the identity, and the hold only while failOpen is set and a hold runs", () => {
    expect(filterGcSwh(runJq(holding("web", 20)))).toEqual({
      name: "web",
      namespace: "prod",
      uid: "uid-web",
      hold: { passingSince: SINCE, periodSeconds: 20 },
    });
    expect(filterGcSwh(runJq(holding("web")))?.hold).toEqual({ passingSince: SINCE });
    const off = { failOpen: { active: false, passingEndpoints: 3 } };
    for (const raw of [
      rawSwh("web"),
      rawSwh("web", { failOpen: true }),
      rawSwh("web", { failOpen: true, status: off }),
      rawSwh("web", { status: HOLDING }),
    ]) {
      expect(runJq(raw)).toMatchObject({ hold: null });
      expect(filterGcSwh(runJq(raw))).toEqual({ name: "web", namespace: "prod", uid: "uid-web" });
    }
  });

  it("reads a full SWH like its jq output", () => {
    for (const raw of [holding("web", 20), holding("web"), rawSwh("web", { status: HOLDING })]) {
      expect(filterGcSwh(raw)).toEqual(filterGcSwh(runJq(raw)));
    }
  });
});

describe("planFailOpenWakeup", () => {
  it("writes nothing while no hold runs", () => {
    const swhs = [rawSwh("a"), rawSwh("b", { failOpen: true })].map(gcSwh);
    expect(planFailOpenWakeup(swhs, after(3600))).toBeUndefined();
  });

  it("writes nothing while a hold has not elapsed (30 s, or two periods)", () => {
    expect(planFailOpenWakeup([gcSwh(holding("web"))], after(29))).toBeUndefined();
    expect(planFailOpenWakeup([gcSwh(holding("web", 20))], after(39))).toBeUndefined();
  });

  it("renews the wake-up Lease once a hold has elapsed, one write for every such SWH", () => {
    const swhs = [holding("web"), holding("db"), holding("slow", 60), rawSwh("x")].map(gcSwh);
    const wakeup = planFailOpenWakeup(swhs, after(30));
    expect(wakeup?.swhs).toEqual(["prod/web", "prod/db"]);
    expect(wakeup?.operation).toEqual({
      operation: "CreateOrUpdate",
      object: {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: {
          name: STATUS_WAKEUP_LEASE,
          namespace: MODULE_NAMESPACE,
          labels: { heritage: "deckhouse", module: "service-with-healthchecks" },
          annotations: { [ANNOTATION_WAKEUP_FOR]: "prod/web,prod/db" },
        },
        spec: { renewTime: "2026-01-01T00:00:30.000000Z" },
      },
    });
    // Each later run renews again with its own time: a new filter result for the status hook.
    const next = planFailOpenWakeup(swhs, after(35))?.operation.object.spec;
    expect(next).toEqual({ renewTime: "2026-01-01T00:00:35.000000Z" });
  });

  it("names at most ten SWHs in the annotation, with the count of the rest", () => {
    const swhs = Array.from({ length: 12 }, (_, i) => gcSwh(holding(`s${i}`)));
    const metadata = planFailOpenWakeup(swhs, after(30))?.operation.object.metadata;
    expect(metadata?.annotations).toEqual({
      [ANNOTATION_WAKEUP_FOR]: `${swhs
        .slice(0, 10)
        .map(s => `prod/${s.name}`)
        .join(",")} and 2 more`,
    });
  });
});

describe("the GC hook run", () => {
  const base = { slices: [], nodes: [], leases: [] };
  const leaseWrites = (ops: readonly { operation: string }[]) =>
    ops.filter(o => o.operation === "CreateOrUpdate");

  it("writes nothing before the hold has elapsed, one Lease renewal after", async () => {
    const snapshots = { ...base, swhs: [holding("web"), rawSwh("db")] };
    const before = await runHookForTest(endpointsliceGcHook, { now: after(25), snapshots });
    expect(before.operations).toEqual([]);
    const elapsed = await runHookForTest(endpointsliceGcHook, { now: after(31), snapshots });
    expect(leaseWrites(elapsed.operations)).toHaveLength(1);
    expect(elapsed.operations).toEqual([
      expect.objectContaining({
        operation: "CreateOrUpdate",
        object: expect.objectContaining({
          kind: "Lease",
          metadata: expect.objectContaining({ name: STATUS_WAKEUP_LEASE }),
        }),
      }),
    ]);
  });
});
