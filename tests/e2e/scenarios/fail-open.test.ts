// Fail-open (spec.healthcheck.failOpen, issue #12 item 5; Envoy's panic threshold) end to end on
// real nodes: an HTTP ServiceWithHealthchecks with failOpen.minPassingPercent 50 over three real
// backend pods, one per node (periodSeconds 1, failureThreshold 3). One pod's health check fails:
// it leaves the Service (2 of 3 pass, no fail-open). A second one fails: the status hook decides
// fail-open once for the cluster (FailOpen=True, status.failOpen, a Warning FailOpen event, the
// hook's d8_swh_fail_open gauge at 1) and every node's agent publishes its pod ready again, while
// the endpoint reports keep the probes' truth. Both heal: fail-open ends only after the share
// held for the hold (30 s), with a Normal FailOpenEnded event and the gauge at 0, and every
// endpoint is published by its probes again. Nothing changes when the hold ends: the GC hook
// (every 5 s) renews the status hook's wake-up Lease, naming the SWH, and that run ends it, at
// most one GC tick after the hold. The times are recorded (build/e2e-report.json).
import { jest } from "@jest/globals";
import {
  ANNOTATION_WAKEUP_FOR,
  MODULE_NAMESPACE,
  STATUS_WAKEUP_LEASE,
  SWH_KIND,
} from "../../../api/contract.js";
import type { ServiceWithHealthchecks } from "../../../api/v1alpha1.js";
import type { BackendClient } from "../../cluster/backends/client.js";
import { getOrUndefined, listItems } from "../../cluster/kube.js";
import { metricSamples } from "../../cluster/prom-text.js";
import {
  releaseScenarioWorld,
  SCENARIO_NODES,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { readyPods, serviceEndpoints } from "../../cluster/scenario/endpoints.js";
import {
  applyManifest,
  createNamespace,
  deleteNamespace,
  type Manifest,
} from "../../cluster/scenario/objects.js";
import { startRealPods } from "../../cluster/scenario/real-pods.js";
import { recordMeasurement } from "../../cluster/scenario/report.js";
import { conditionOf, getSwh, httpSwh } from "../../cluster/scenario/swh.js";
import { readWorldState } from "../../cluster/state.js";
import { operatorGet } from "../../cluster/world/operator.js";
import type { World } from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(300_000);

const SWH = "web";
const PODS = ["web-a", "web-b", "web-c"] as const;
const HOLD_MS = 30_000;

let world: World;
let ns: string;
const daemons = new Map<string, BackendClient>();

/** The scenarios' HTTP SWH with failOpen.minPassingPercent 50. */
function failOpenSwh(namespace: string): Manifest {
  const m = httpSwh(namespace, SWH) as Manifest & {
    spec: { healthcheck: Record<string, unknown> };
  };
  m.spec.healthcheck.failOpen = { minPassingPercent: 50 };
  return m;
}

beforeAll(async () => {
  ({ world } = await scenarioWorld());
  ns = await createNamespace(world, "swh-fail-open");
  const pods = await startRealPods(
    world,
    PODS.map((name, i) => ({
      name,
      namespace: ns,
      node: SCENARIO_NODES[i]!,
      labels: { app: SWH },
      serve: ["http:web:8080:/healthz"],
    })),
  );
  for (const name of PODS) daemons.set(name, pods.get(name)!.backend);
  await applyManifest(world, failOpenSwh(ns));
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (ns) await deleteNamespace(world, ns);
  await releaseScenarioWorld();
});

const swh = (): Promise<ServiceWithHealthchecks | undefined> => getSwh(world, ns, SWH);

/** The status hook's d8_swh_fail_open for the SWH on addon-operator's /metrics/hooks. */
async function failOpenGauge(): Promise<number | undefined> {
  const operator = (await readWorldState(world.layout.stateFile))?.operator;
  if (!operator) throw new Error("the world state names no operator");
  const text = (await operatorGet(operator, "/metrics/hooks")).body;
  const sample = metricSamples(text, "d8_swh_fail_open").find(
    s => s.labels.namespace === ns && s.labels.name === SWH,
  );
  return sample?.value;
}

interface EventJson {
  readonly reason?: string;
  readonly type?: string;
  readonly note?: string;
  readonly reportingController?: string;
  readonly regarding?: { readonly kind?: string; readonly name?: string };
}

/** The SWH's Events with `reason`. */
async function events(reason: string): Promise<EventJson[]> {
  const all = await listItems<EventJson>(
    world.rest,
    `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
  );
  return all.filter(
    e => e.reason === reason && e.regarding?.kind === SWH_KIND && e.regarding.name === SWH,
  );
}

/** Per pod: published ready and serving, and whether its report lists failing probes. */
async function published(): Promise<Record<string, { ready: boolean; failing: boolean }>> {
  const rows = await serviceEndpoints(world, ns, SWH);
  return Object.fromEntries(
    rows.map(r => [r.pod, { ready: r.ready && r.serving, failing: r.failures.length > 0 }]),
  );
}

describe("fail-open over three real pods, minPassingPercent 50", () => {
  it("publishes the three pods, fail-open off", async () => {
    await eventually(
      "three ready endpoints, FailOpen=False",
      async () => {
        expect(await readyPods(world, ns, SWH)).toEqual([...PODS]);
        const s = await swh();
        expect(conditionOf(s, "FailOpen")).toMatchObject({
          status: "False",
          reason: "EnoughPassing",
        });
        expect(s?.status?.failOpen).toEqual({
          active: false,
          passingEndpoints: 3,
          probedEndpoints: 3,
        });
        expect(await failOpenGauge()).toBe(0);
      },
      120_000,
      500,
    );
  });

  it("takes one failing pod out: 2 of 3 pass, no fail-open", async () => {
    const failedAt = Date.now();
    await daemons.get("web-a")!.setHealth("web", 503);
    await eventually(
      "web-a leaves",
      async () => expect(await readyPods(world, ns, SWH)).toEqual(["web-b", "web-c"]),
      60_000,
      200,
    );
    await recordMeasurement({
      name: "failOpen.oneFailingOutMs",
      value: Date.now() - failedAt,
      unit: "ms",
      description:
        "failOpen 50%, 3 pods, periodSeconds 1, failureThreshold 3: one pod's health check answers 503 -> it leaves the Service (2 of 3 pass: no fail-open)",
    });
    await eventually("the status counts 2 of 3, fail-open off", async () => {
      const s = await swh();
      expect(s?.status?.failOpen).toMatchObject({ active: false, passingEndpoints: 2 });
      expect(conditionOf(s, "FailOpen")?.status).toBe("False");
    });
    expect(await events("FailOpen")).toEqual([]);
  });

  it("fails open when a second pod fails: all three published, reports truthful", async () => {
    const failedAt = Date.now();
    await daemons.get("web-b")!.setHealth("web", 503);
    await eventually(
      "all three are published ready again, under FailOpen=True",
      async () => {
        expect(await published()).toEqual({
          "web-a": { ready: true, failing: true },
          "web-b": { ready: true, failing: true },
          "web-c": { ready: true, failing: false },
        });
        expect(conditionOf(await swh(), "FailOpen")).toMatchObject({
          status: "True",
          reason: "TooFewPassing",
          message:
            "1 of 3 endpoints pass (33%), below failOpen.minPassingPercent 50: publishing all 3.",
        });
      },
      60_000,
      200,
    );
    await recordMeasurement({
      name: "failOpen.enteredMs",
      value: Date.now() - failedAt,
      unit: "ms",
      description:
        "failOpen 50%, 3 pods, periodSeconds 1, failureThreshold 3: a second pod's health check answers 503 -> FailOpen=True and all three published ready on their nodes",
    });
    await eventually("the status, the Warning event and the gauge", async () => {
      const s = await swh();
      expect(s?.status?.failOpen).toEqual({
        active: true,
        passingEndpoints: 1,
        probedEndpoints: 3,
      });
      // What is published (the next status run after the agents' writes), and the probes' truth.
      expect(s?.status?.readySummary).toBe("3/3");
      expect(
        s?.status?.endpointStatuses?.map(e => [e.podName, e.ready, e.probesSuccessful]),
      ).toEqual([
        ["web-a", true, false],
        ["web-b", true, false],
        ["web-c", true, true],
      ]);
      expect(await events("FailOpen")).toEqual([
        expect.objectContaining({ type: "Warning", note: expect.stringContaining("1 of 3") }),
      ]);
      expect(await failOpenGauge()).toBe(1);
    });
  });

  it("ends only after the share held for the hold time, then publishes by the probes", async () => {
    const healedAt = Date.now();
    await daemons.get("web-a")!.setHealth("web", 200);
    await daemons.get("web-b")!.setHealth("web", 200);
    const holding = await eventually(
      "the hold starts: FailOpen=True, PassingAgain",
      async () => {
        const s = await swh();
        expect(conditionOf(s, "FailOpen")).toMatchObject({
          status: "True",
          reason: "PassingAgain",
        });
        expect(s?.status?.failOpen?.passingSince).toEqual(expect.any(String));
        return s!.status!.failOpen!.passingSince!;
      },
      60_000,
      200,
    );
    const ended = await eventually(
      "fail-open ends",
      async () => {
        const c = conditionOf(await swh(), "FailOpen");
        expect(c).toMatchObject({ status: "False", reason: "EnoughPassing" });
        return c!.lastTransitionTime;
      },
      HOLD_MS + 60_000,
      500,
    );
    // The hook's own clock: it ended no earlier than the hold after the share came back.
    expect(Date.parse(ended) - Date.parse(holding)).toBeGreaterThanOrEqual(HOLD_MS);
    await recordMeasurement({
      name: "failOpen.endedAfterHealMs",
      value: Date.now() - healedAt,
      unit: "ms",
      description:
        "failOpen 50%: both failed pods answer 200 again -> FailOpen=False (the share must hold 30 s; the GC hook checks every 5 s and wakes the status hook)",
    });
    await recordMeasurement({
      name: "failOpen.endedAfterHoldMs",
      value: Date.parse(ended) - Date.parse(holding) - HOLD_MS,
      unit: "ms",
      description:
        "failOpen 50%: FailOpen=False's lastTransitionTime minus (status.failOpen.passingSince + the 30 s hold), both whole seconds: the wake-up delay (at most one 5 s GC tick plus the status run)",
    });
    // What ended it: the GC hook's renewal of the wake-up Lease, naming this SWH.
    const lease = await getOrUndefined<{ metadata?: { annotations?: Record<string, string> } }>(
      world.rest,
      `/apis/coordination.k8s.io/v1/namespaces/${MODULE_NAMESPACE}/leases/${STATUS_WAKEUP_LEASE}`,
    );
    expect(lease?.metadata?.annotations?.[ANNOTATION_WAKEUP_FOR]).toContain(`${ns}/${SWH}`);
    await eventually("the event, the gauge and the probes' truth", async () => {
      expect(await events("FailOpenEnded")).toEqual([
        expect.objectContaining({ type: "Normal", note: expect.stringContaining("3 of 3") }),
      ]);
      expect(await failOpenGauge()).toBe(0);
      expect((await swh())?.status?.failOpen).toEqual({
        active: false,
        passingEndpoints: 3,
        probedEndpoints: 3,
      });
      expect(await published()).toEqual({
        "web-a": { ready: true, failing: false },
        "web-b": { ready: true, failing: false },
        "web-c": { ready: true, failing: false },
      });
    });
  });

  it("after fail-open, one failing pod leaves again by its probes", async () => {
    await daemons.get("web-c")!.setHealth("web", 503);
    await eventually(
      "web-c leaves, no fail-open",
      async () => {
        expect(await readyPods(world, ns, SWH)).toEqual(["web-a", "web-b"]);
        expect(conditionOf(await swh(), "FailOpen")?.status).toBe("False");
      },
      60_000,
      200,
    );
  });
});
