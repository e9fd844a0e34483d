// The reliability bar "API server down for a minute: agent keeps probing, converges within
// seconds after; no crash", end to end on three real nodes: the agents are the pods of the chart's
// DaemonSet, the workload real pods (scenario/outage-workload.ts). The kube-apiserver is frozen
// (SIGSTOP) for 60 s — a hung control plane: connections accepted, nothing answered — while one
// backend breaks (`web` on node-2) and another recovers (`api` on node-3). Throughout the outage
// the agents must keep probing (their probe counters, scraped through kube-rbac-proxy, grow), stay
// alive (the same processes) with /healthz 200 on the pod address, and addon-operator too;
// /readyz turns 503 once the heartbeat Lease could not be renewed for a Lease duration, so the
// kubelets' readiness probes fail while their liveness probes pass: nothing is restarted. After
// SIGCONT the EndpointSlices and the SWH status must reach the backends' true state, with no
// endpoint fenced on the way: the agents were alive all along, only the API server was not. The
// kubelets and the node lifecycle controller lost the API server too: once it is back, the
// controller may find the nodes' heartbeats stale and mark nodes and pods not ready until the
// kubelets report again; no pod may be evicted, recreated or restarted. The times from the resume
// to convergence are recorded in build/e2e-report.json, never asserted. A second freeze, a second
// shorter than the Lease, then checks the case where some Leases expire and others do not: every
// agent comes back vouching for the others' silence, and nobody is fenced.
//
// The scenario runs in the shared scenario world (scenario/context.ts), like every other scenario
// file: jest runs them one at a time (`npm test` passes --maxWorkers=1; other files change the
// module's settings or kill its agents too), and it leaves the world as it found it: the API
// server resumed, the nodes ready again, its namespace deleted.
import { jest } from "@jest/globals";
import { ANNOTATION_SILENT_SINCE } from "../../../api/contract.js";
import { setTimeout as sleep } from "node:timers/promises";
import {
  freezeApiServer,
  statState,
  type FrozenApiServer,
} from "../../cluster/scenario/apiserver-freeze.js";
import {
  releaseScenarioWorld,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import {
  allReadyAt,
  probeGrowth,
  type AgentSample,
  type LivenessSamples,
} from "../../cluster/scenario/liveness.js";
import { metricSamples, sumMetric } from "../../cluster/prom-text.js";
import { agentLease } from "../../cluster/scenario/agent-behaviour.js";
import { hookLogEntries, readHookLog } from "../../cluster/scenario/operator-log.js";
import {
  expectConvergedAndSettled,
  expectFencingSuspended,
  expectLiveThroughout,
  expectNothingFenced,
  expectSameProcesses,
  need,
  takeBaseline,
  waitWorkloadBefore,
  type OutageBaseline,
} from "../../cluster/scenario/outage-checks.js";
import {
  changeBackends,
  NODES,
  setUpWorkload,
  SWHS,
  tearDownWorkload,
  type OutageWorkload,
} from "../../cluster/scenario/outage-workload.js";
import { stopRecording } from "../../cluster/scenario/cluster-view.js";
import {
  expectPodsUndisturbed,
  recordOutcome,
} from "../../cluster/scenario/outage-cluster-checks.js";
import { recordMeasurement } from "../../cluster/scenario/report.js";
import { conditionOf, endpointStatusOf, getSwh } from "../../cluster/scenario/swh.js";
import { operatorView } from "../../cluster/world/operator-view.js";
import type { World } from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(600_000);

/** How long the API server stays frozen. */
const OUTAGE_MS = 60_000;
/** The second, short freeze: a second under the world's 8 s Lease (renewed every 2 s). */
const SHORT_OUTAGE_MS = 7_000;
/** The world's renew interval (tests/cluster/world/world.ts). */
const RENEW_INTERVAL_MS = 2_000;
/** After the short freeze: every renewal is in, and the 5 s fencing hook has run twice. */
const AFTER_SHORT_OUTAGE_MS = 12_000;
/** When, into the outage, the backends change (the agents' renewals are failing by then). */
const CHANGE_AFTER_MS = 5_000;

let world: World;
let workload: OutageWorkload | undefined;
let frozen: FrozenApiServer | undefined;
let base: OutageBaseline | undefined;

/** What the outage test hands to the assertions after it. */
interface Outage {
  readonly frozenAt: number;
  readonly resumedAt: number;
}
let outage: Outage | undefined;
/** Every sample of the agents and the operator, from before the freeze to after convergence. */
let samples: LivenessSamples | undefined;

describe("the outage helpers", () => {
  it("reads the state of a /proc stat line whose command name holds spaces and parentheses", () => {
    expect(statState("1234 (kube-apiserver) T 1 1234")).toBe("T");
    expect(statState("42 (a) b (c)) S 1 42")).toBe("S");
    expect(() => statState("garbage")).toThrow(/not a \/proc/);
  });

  it("sums a Prometheus counter over its label sets and ignores look-alike names", () => {
    const text = [
      "# HELP swh_agent_probes_total Probe attempts.",
      "# TYPE swh_agent_probes_total counter",
      'swh_agent_probes_total{mode="HTTP",result="success"} 120',
      'swh_agent_probes_total{mode="TCP",result="failure",x="a} b"} 3',
      "swh_agent_probes_total_created 1700000000",
      "swh_agent_probes_totalx 99",
      "d8_swh_endpointslices_fenced_total 2",
    ].join("\n");
    expect(sumMetric(text, "swh_agent_probes_total")).toBe(123);
    expect(sumMetric(text, "d8_swh_endpointslices_fenced_total")).toBe(2);
    expect(sumMetric(text, "absent_total")).toBe(0);
  });

  it("reads a metric's samples with their labels, as the kubelet's prober_probe_total", () => {
    const text = [
      "# TYPE prober_probe_total counter",
      'prober_probe_total{container="agent",pod="agent-x",probe_type="Readiness",result="failed"} 12',
      'prober_probe_total{container="agent",pod="agent-x",probe_type="Liveness",result="successful"} 17',
      'prober_probe_total_created{container="agent"} 1',
      'prober_probe_total{container="a\\"b",pod="p"} 1',
    ].join("\n");
    expect(metricSamples(text, "prober_probe_total")).toEqual([
      {
        labels: { container: "agent", pod: "agent-x", probe_type: "Readiness", result: "failed" },
        value: 12,
      },
      {
        labels: {
          container: "agent",
          pod: "agent-x",
          probe_type: "Liveness",
          result: "successful",
        },
        value: 17,
      },
      { labels: { container: 'a"b', pod: "p" }, value: 1 },
    ]);
  });

  it("takes each agent's probe count at the first and last sample of a window", () => {
    const s = (node: string, at: number, probes: number): AgentSample => ({
      node,
      at,
      alive: true,
      healthz: 200,
      readyz: 200,
      readyzBody: "ok",
      probes,
    });
    const samples = [
      s("n2", 5, 50),
      s("n1", 10, 1),
      s("n1", 20, 7),
      s("n1", 30, 9),
      s("n2", 25, 60),
    ];
    expect(probeGrowth(samples, 10, 25)).toEqual([
      { node: "n1", first: 1, last: 7 },
      { node: "n2", first: 60, last: 60 },
    ]);
  });
  it("finds when every agent answered /readyz 200 again", () => {
    const s = (node: string, at: number, readyz: number): AgentSample => ({
      node,
      at,
      alive: true,
      healthz: 200,
      readyz,
      readyzBody: "",
      probes: 0,
    });
    const samples = [s("a", 5, 200), s("a", 11, 503), s("b", 12, 200), s("a", 14, 200)];
    expect(allReadyAt(samples, ["a", "b"], 10)).toBe(14);
    expect(allReadyAt(samples, ["a", "b", "c"], 10)).toBeUndefined();
  });

  it("reads the hooks' own log lines back from addon-operator's log", () => {
    // As addon-operator v1.24 logs a hook's JSON line: its msg, its fields prefixed hook_.
    const hookLine = (time: string, msg: string, fields: Record<string, unknown>): string =>
      JSON.stringify({
        level: "warn",
        msg,
        hook: "hooks/swh-hooks:endpointslice-gc:4",
        ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [`hook_${k}`, v])),
        module: "service-with-healthchecks",
        output: "stderr",
        time,
      });
    const text = [
      hookLine("2024-05-01T10:00:00Z", "fencing EndpointSlices of a node", { node: "n1" }),
      JSON.stringify({ time: "2024-05-01T10:00:01Z", msg: "Module hook start", hook: "x:y:1" }),
      "not json",
      hookLine("2024-05-01T10:00:02Z", "fencing EndpointSlices of a node", { node: "n2" }),
      hookLine("2024-05-01T10:00:03Z", "status updated", { count: 1 }),
    ].join("\n");
    // Whole seconds: a line of the second `since` falls in counts.
    const since = Date.parse("2024-05-01T10:00:02.400Z");
    expect(hookLogEntries(text, "fencing EndpointSlices", since)).toEqual([
      {
        at: Date.parse("2024-05-01T10:00:02Z"),
        hook: "endpointslice-gc",
        msg: "fencing EndpointSlices of a node",
        fields: { node: "n2" },
      },
    ]);
  });
});

describe("the API server frozen for a minute", () => {
  beforeAll(async () => {
    ({ world } = await scenarioWorld());
    workload = await setUpWorkload(world, "swh-outage");
    await waitWorkloadBefore(world, workload);
  }, SCENARIO_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    // Never leave the API server frozen, whatever failed.
    await frozen?.resume();
    await base?.sampler.stop();
    for (const recorder of Object.values(base?.recorders ?? {})) await recorder.stop();
    await stopRecording(base?.cluster);
    await tearDownWorkload(workload);
    await releaseScenarioWorld();
  });

  it("keeps the agents probing, alive and healthy, and the operator alive, throughout", async () => {
    const w = need(workload, "the workload");
    base = await takeBaseline(world, w);
    frozen = await freezeApiServer(world.layout.stateDir);
    const { frozenAt } = frozen;
    await sleep(CHANGE_AFTER_MS);
    await changeBackends(w);
    await sleep(Math.max(0, frozenAt + OUTAGE_MS - Date.now()));
    const resumedAt = await frozen.resume();
    outage = { frozenAt, resumedAt };
    process.stdout.write(
      `API server frozen for ${((resumedAt - frozenAt) / 1000).toFixed(1)} s; web on app-1 broken and api on app-2 repaired ${CHANGE_AFTER_MS / 1000} s in\n`,
    );
    const probes = expectLiveThroughout(base.sampler.samples(), frozenAt, resumedAt);
    await recordMeasurement({
      name: "apiserverOutage.probesDuringOutage",
      value: probes,
      unit: "count",
      description: `probes run by the 3 agents while the API server was frozen for ${OUTAGE_MS / 1000} s (2 endpoints per agent, every second)`,
    });
  });

  it("converges the EndpointSlices and the SWH status to the backends' true state after the resume", async () => {
    const o = need(outage, "the outage");
    const b = need(base, "the baseline");
    const { slicesAt, statusAt } = await expectConvergedAndSettled(need(workload, "the workload"));
    samples = await b.sampler.stop();
    // The slices converged with the last readiness change a slice watcher saw after the resume.
    const changes = SWHS.flatMap(swh => b.recorders[swh].changesSince(o.resumedAt));
    expect(changes.length).toBeGreaterThanOrEqual(2);
    const slicesMs = Math.max(slicesAt, ...changes.map(c => c.at)) - o.resumedAt;
    const statusMs = statusAt - o.resumedAt;
    const readyMs =
      need(allReadyAt(samples.agents, NODES, o.resumedAt), "agents ready") - o.resumedAt;
    process.stdout.write(
      `after the resume: slices converged in ${(slicesMs / 1000).toFixed(2)} s, status in ${(statusMs / 1000).toFixed(2)} s, agents ready in ${(readyMs / 1000).toFixed(1)} s\n`,
    );
    await recordMeasurement({
      name: "apiserverOutage.slicesConvergedMs",
      value: slicesMs,
      unit: "ms",
      description:
        "API server resumed after a 60 s freeze -> the last EndpointSlice readiness change seen by a watcher (one backend broke, one recovered during the outage)",
    });
    await recordMeasurement({
      name: "apiserverOutage.statusConvergedMs",
      value: statusMs,
      unit: "ms",
      description:
        "API server resumed after a 60 s freeze -> both SWH statuses agree with the backends (polled every 100 ms)",
    });
    await recordMeasurement({
      name: "apiserverOutage.agentsReadyMs",
      value: readyMs,
      unit: "ms",
      description:
        "API server resumed after a 60 s freeze -> every agent's /readyz answers 200 again (Lease renewed; sampled every second)",
    });
  });

  it("says in the status why the broken endpoint is not ready, and fences nothing", async () => {
    const w = need(workload, "the workload");
    const web = await getSwh(world, w.namespace, "web");
    const api = await getSwh(world, w.namespace, "api");
    expect(endpointStatusOf(web, "app-1")?.failedProbes?.length).toBeGreaterThan(0);
    expect(conditionOf(web, "Ready")?.reason).toBe("SomeEndpointsAreReady");
    expect(conditionOf(api, "Ready")?.reason).toBe("AllEndpointsAreReady");
    for (const swh of [web, api])
      expect(swh?.status?.endpointStatuses?.filter(e => e.fenced === true)).toEqual([]);
  });

  it("fences no endpoint because of the outage: the agents were alive all along", async () => {
    const o = need(outage, "the outage");
    const flaps = await expectNothingFenced(
      world,
      need(workload, "the workload"),
      need(base, "the baseline"),
      { from: o.frozenAt, backAt: o.resumedAt },
    );
    await expectFencingSuspended(need(base, "the baseline"), {
      from: o.frozenAt,
      backAt: o.resumedAt,
    });
    await recordMeasurement({
      name: "apiserverOutage.healthyEndpointFlaps",
      value: flaps,
      unit: "count",
      description:
        "readiness changes of endpoints healthy throughout a 60 s API server freeze, seen by a slice watcher until 15 s after convergence",
    });
  });

  it("evicts, recreates and restarts nothing, whatever the node lifecycle controller concluded", async () => {
    const o = need(outage, "the outage");
    const seen = await expectPodsUndisturbed(world, need(base, "the baseline"), o.frozenAt);
    await recordOutcome("apiserverOutage", seen, "a 60 s API server freeze");
  });

  it("leaves the same processes running, the agents ready again and the operator's queue drained", async () => {
    const o = need(outage, "the outage");
    const b = need(base, "the baseline");
    await expectSameProcesses(world, b, need(samples, "the samples"), o.frozenAt);
    const runs = (await operatorView(b.operatorBefore)).hookRuns;
    await eventually(
      "hooks keep running after the outage",
      async () => expect((await operatorView(b.operatorBefore)).hookRuns).toBeGreaterThan(runs),
      30_000,
      500,
    );
  });

  it("after a freeze shorter than a Lease, every agent comes back vouching for the others; nothing is fenced", async () => {
    const b = need(base, "the baseline");
    // The world is steady now; a freeze of 7 s lets some Leases expire and not others.
    frozen = await freezeApiServer(world.layout.stateDir);
    const { frozenAt } = frozen;
    await sleep(SHORT_OUTAGE_MS);
    const resumedAt = await frozen.resume();
    await sleep(AFTER_SHORT_OUTAGE_MS);
    // Each agent missed at least two renewals, so each re-acquired its Lease on its return and
    // recorded since when it was silent: the comeback the fencing hook reads. (A renewal sent
    // during the freeze may still land at the resume, stamped when it was sent, so the silence
    // may start inside the freeze and the comeback be stamped before the resume.)
    const comebacks = await Promise.all(
      NODES.map(async node => {
        const lease = await agentLease(world, node);
        const acquiredAt = Date.parse(lease?.spec?.acquireTime ?? "");
        const since = Date.parse(lease?.metadata?.annotations?.[ANNOTATION_SILENT_SINCE] ?? "");
        return {
          node,
          cameBackAfterFreezing: acquiredAt > frozenAt,
          silentBeforeTheResume: since < resumedAt,
          missedTwoRenewals: acquiredAt - since > 2 * RENEW_INTERVAL_MS,
        };
      }),
    );
    expect(comebacks).toEqual(
      NODES.map(node => ({
        node,
        cameBackAfterFreezing: true,
        silentBeforeTheResume: true,
        missedTwoRenewals: true,
      })),
    );
    // Nothing changed readiness, and the fencing hook declared nobody dead.
    for (const swh of SWHS) expect(b.recorders[swh].changesSince(frozenAt)).toEqual([]);
    expect(await readHookLog(b.operatorBefore.logFile, "fencing EndpointSlices", frozenAt)).toEqual(
      [],
    );
    process.stdout.write(
      `short freeze of ${((resumedAt - frozenAt) / 1000).toFixed(1)} s: every agent came back vouching for the others, nothing fenced\n`,
    );
  });
});
