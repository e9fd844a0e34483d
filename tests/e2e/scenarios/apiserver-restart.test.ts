// The reliability bar "API server down for a minute: agent keeps probing, converges within
// seconds after; no crash", second variant, on three real nodes (the chart's agent DaemonSet run
// by the kubelets, the workload as real pods): kube-apiserver KILLED (SIGKILL, nothing flushed)
// and started again 60 s later on the same port, certificates and flags (testenv's stopComponent
// / startComponent). Unlike a frozen server, a dead one refuses connections: requests fail fast,
// watches break at once, clients back off and reconnect, and the restarted server has a new
// watch cache that may answer 410 Gone to the resourceVersions the clients resume from. Meanwhile
// one backend breaks (`web` on node-2) and another recovers (`api` on node-3), as in the freeze
// variant (apiserver-outage.test.ts), on the same workload (scenario/outage-workload.ts).
// Asserted: the agents and addon-operator stay alive with /healthz 200 and the same processes
// (and, for the agents, the same pods and containers, no restart: the kubelets' liveness probes
// never failed), the agents keep probing, the agents' informers noticed the outage (they
// restarted); after the restart the slices and statuses reach the truth with no healthy endpoint
// flipping and nothing fenced, no pod is evicted or recreated whatever the node lifecycle
// controller concluded, and a pod and an SWH created after the restart are picked up (list+watch
// re-established). Times from the restart to convergence go to build/e2e-report.json, never
// asserted. Like the freeze variant it runs in the shared scenario world and restarts the API
// server whatever fails (afterAll), so the files after it find the world serving.
import { jest } from "@jest/globals";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  componentPorts,
  down,
  ensureUp,
  parseComponent,
  startComponent,
  status,
  stopComponent,
  type BoxPorts,
} from "../../testenv/index.js";
import { isPortFree } from "../../testenv/ports.js";
import {
  releaseScenarioWorld,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { readyPods } from "../../cluster/scenario/endpoints.js";
import { addCounts, allReadyAt, type LivenessSamples } from "../../cluster/scenario/liveness.js";
import { sumMetricBy } from "../../cluster/prom-text.js";
import { applyManifest } from "../../cluster/scenario/objects.js";
import {
  CONVERGE_TIMEOUT_MS,
  expectConvergedAndSettled,
  expectLiveThroughout,
  expectNothingFenced,
  expectSameProcesses,
  need,
  takeBaseline,
  waitWorkloadBefore,
  type OutageBaseline,
} from "../../cluster/scenario/outage-checks.js";
import {
  addAppPod,
  changeBackends,
  NODES,
  readySlices,
  setUpWorkload,
  swhManifest,
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
import { getSwh } from "../../cluster/scenario/swh.js";
import type { World } from "../../cluster/world/world.js";
import { scrapeAgent } from "../../cluster/scenario/agent-scrape.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(600_000);

/** How long the API server stays dead. */
const OUTAGE_MS = 60_000;
/** When, into the outage, the backends change. */
const CHANGE_AFTER_MS = 5_000;
/** The agents' informer restart counter (images/agent/src/metrics.ts), by reason. */
const WATCH_RESTARTS_METRIC = "swh_agent_watch_restarts_total";
const API_REQUESTS_METRIC = "swh_agent_api_requests_total";

let world: World;
let workload: OutageWorkload | undefined;
let base: OutageBaseline | undefined;
/** True while this file has the API server stopped (afterAll starts it again). */
let apiserverDown = false;

/** What the outage test hands to the assertions after it. */
interface Outage {
  readonly killedAt: number;
  /** When the restarted API server answered /readyz 200. */
  readonly servingAt: number;
  readonly restartsBefore: ReadonlyArray<Record<string, number>>;
  readonly requestsBefore: ReadonlyArray<Record<string, number>>;
}
let outage: Outage | undefined;
let samples: LivenessSamples | undefined;

/** Each agent's counter `metric`, summed by `label`, scraped through kube-rbac-proxy. */
async function agentCounts(
  b: OutageBaseline,
  metric: string,
  label: string,
): Promise<Array<Record<string, number>>> {
  return Promise.all(
    b.agentsBefore.map(async a => {
      const res = await scrapeAgent(a.ip, b.scraper, 5_000);
      if (res.status !== 200) throw new Error(`scraping the agent of ${a.node}: ${res.status}`);
      return sumMetricBy(res.body, metric, label);
    }),
  );
}

/** Each agent's informer restarts, by reason. */
const watchRestarts = (b: OutageBaseline): Promise<Array<Record<string, number>>> =>
  agentCounts(b, WATCH_RESTARTS_METRIC, "reason");

/** Each agent's API requests, by verb. */
const apiRequests = (b: OutageBaseline): Promise<Array<Record<string, number>>> =>
  agentCounts(b, API_REQUESTS_METRIC, "verb");

/** Restarts by reason in `after` that were not in `before`, without the reasons that did not grow. */
function grownBy(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([reason, n]) => [reason, n - (before[reason] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
}

/** Pids of live processes whose command line mentions the state dir `dir`. */
function processesUsing(dir: string): number[] {
  return readdirSync("/proc")
    .filter(name => /^\d+$/.test(name))
    .filter(pid => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`${dir}/`);
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
}

describe("the outage-variant helpers", () => {
  it("names components by binary or role and knows their ports", () => {
    expect(parseComponent("kube-apiserver")).toBe("apiserver");
    expect(parseComponent("controllerManager")).toBe("controllerManager");
    expect(parseComponent("etcd")).toBe("etcd");
    expect(() => parseComponent("kubelet")).toThrow(/unknown component "kubelet"; one of etcd/);
    const ports: BoxPorts = { etcdClient: 1, etcdPeer: 2, apiserver: 3, controllerManager: 4 };
    expect(componentPorts("etcd", ports)).toEqual([1, 2]);
    expect(componentPorts("apiserver", ports)).toEqual([3]);
    expect(componentPorts("controllerManager", ports)).toEqual([4]);
  });

  it("sums a counter per label value", () => {
    const text = [
      "# TYPE swh_agent_watch_restarts_total counter",
      'swh_agent_watch_restarts_total{informer="pods",reason="network"} 3',
      'swh_agent_watch_restarts_total{informer="slices",reason="network"} 2',
      'swh_agent_watch_restarts_total{reason="gone",informer="pods"} 1',
      "swh_agent_watch_restarts_total 7",
      'swh_agent_watch_restarts_totalx{reason="gone"} 99',
    ].join("\n");
    const byReason = sumMetricBy(text, WATCH_RESTARTS_METRIC, "reason");
    expect(byReason).toEqual({ network: 5, gone: 1, "": 7 });
    expect(addCounts(byReason, { gone: 2, closed: 1 })).toEqual({
      network: 5,
      gone: 3,
      "": 7,
      closed: 1,
    });
  });
});

describe("one component of a box stopped and started (testenv)", () => {
  it("keeps ports and bookkeeping, is resumed in place by up, and down leaves nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "swh-testenv-restart-"));
    try {
      const first = await ensureUp({ stateDir: dir, controllers: ["serviceaccount"] });
      const ports = need(first.status.ports, "the ports");
      const killed = await stopComponent("apiserver", { stateDir: dir, signal: "SIGKILL" });
      expect(killed.how).toBe("SIGKILL");
      expect(await isPortFree(ports.apiserver)).toBe(true);
      const stopped = await status(dir);
      expect(stopped.ready).toBe(false);
      const apiserver = stopped.processes.find(p => p.component === "apiserver");
      expect(apiserver).toMatchObject({ pid: undefined, alive: false });
      expect(apiserver?.stoppedAt).toEqual(expect.any(String));
      const started = await startComponent("apiserver", { stateDir: dir });
      expect(started.reused).toBe(false);
      const back = await status(dir);
      expect(back).toMatchObject({ ready: true, ports, server: first.status.server });
      expect(back.processes.find(p => p.component === "apiserver")?.stoppedAt).toBeUndefined();
      expect((await startComponent("apiserver", { stateDir: dir })).reused).toBe(true);

      // up starts a stopped etcd again on its ports, not a new box.
      await stopComponent("etcd", { stateDir: dir });
      const resumed = await ensureUp({ stateDir: dir, controllers: ["serviceaccount"] });
      expect(resumed).toMatchObject({ reused: true, status: { ready: true, ports } });

      await stopComponent("apiserver", { stateDir: dir, signal: "SIGKILL" });
      const result = await down({ stateDir: dir });
      expect(Object.keys(result.stopped).sort()).toEqual(["controllerManager", "etcd"]);
      expect(processesUsing(dir)).toEqual([]);
      for (const port of Object.values(ports)) expect(await isPortFree(port)).toBe(true);
      expect(existsSync(join(dir, "state.json"))).toBe(false);
      await expect(startComponent("apiserver", { stateDir: dir })).rejects.toThrow(
        /starting apiserver/,
      );
    } finally {
      await down({ stateDir: dir, purge: true });
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the API server killed and restarted after a minute", () => {
  beforeAll(async () => {
    ({ world } = await scenarioWorld());
    workload = await setUpWorkload(world, "swh-restart");
    await waitWorkloadBefore(world, workload);
  }, SCENARIO_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    // Never leave the API server dead, whatever failed.
    if (apiserverDown) await startComponent("apiserver", { stateDir: world.layout.stateDir });
    await base?.sampler.stop();
    for (const recorder of Object.values(base?.recorders ?? {})) await recorder.stop();
    await stopRecording(base?.cluster);
    await tearDownWorkload(workload);
    await releaseScenarioWorld();
  });

  it("keeps the agents probing, alive and healthy, and the operator alive, while it is dead", async () => {
    const w = need(workload, "the workload");
    const stateDir = world.layout.stateDir;
    base = await takeBaseline(world, w);
    const restartsBefore = await watchRestarts(base);
    const requestsBefore = await apiRequests(base);
    apiserverDown = true;
    const killed = await stopComponent("apiserver", { stateDir, signal: "SIGKILL" });
    expect(killed.how).toBe("SIGKILL");
    const killedAt = killed.stoppedAt;
    await sleep(CHANGE_AFTER_MS);
    await changeBackends(w);
    await sleep(Math.max(0, killedAt + OUTAGE_MS - Date.now()));
    const restarted = await startComponent("apiserver", { stateDir });
    apiserverDown = false;
    expect(restarted.reused).toBe(false);
    const servingAt = restarted.readyAt;
    outage = { killedAt, servingAt, restartsBefore, requestsBefore };
    process.stdout.write(
      `API server dead for ${((restarted.startedAt - killedAt) / 1000).toFixed(1)} s, serving ${((servingAt - restarted.startedAt) / 1000).toFixed(1)} s after its start; web on app-1 broken and api on app-2 repaired ${CHANGE_AFTER_MS / 1000} s in\n`,
    );
    const probes = expectLiveThroughout(base.sampler.samples(), killedAt, restarted.startedAt);
    await recordMeasurement({
      name: "apiserverRestart.probesDuringOutage",
      value: probes,
      unit: "count",
      description: `probes run by the 3 agents while the API server was dead for ${OUTAGE_MS / 1000} s (2 endpoints per agent, every second)`,
    });
  });

  it("converges the EndpointSlices and the SWH status to the backends' true state after the restart", async () => {
    const o = need(outage, "the outage");
    const b = need(base, "the baseline");
    const { slicesAt, statusAt } = await expectConvergedAndSettled(need(workload, "the workload"));
    samples = await b.sampler.stop();
    const changes = SWHS.flatMap(swh => b.recorders[swh].changesSince(o.servingAt));
    const slicesMs = Math.max(slicesAt, ...changes.map(c => c.at)) - o.servingAt;
    const statusMs = statusAt - o.servingAt;
    const readyMs =
      need(allReadyAt(samples.agents, NODES, o.servingAt), "agents ready") - o.servingAt;
    process.stdout.write(
      `after the restart: slices converged in ${(slicesMs / 1000).toFixed(2)} s, status in ${(statusMs / 1000).toFixed(2)} s, agents ready in ${(readyMs / 1000).toFixed(1)} s\n`,
    );
    const measured: Array<[string, number, string]> = [
      ["slicesConvergedMs", slicesMs, "the last EndpointSlice readiness change seen by a watcher"],
      ["statusConvergedMs", statusMs, "both SWH statuses agree with the backends (polled 100 ms)"],
      ["agentsReadyMs", readyMs, "every agent's /readyz answers 200 again (sampled every second)"],
    ];
    for (const [name, value, what] of measured) {
      await recordMeasurement({
        name: `apiserverRestart.${name}`,
        value,
        unit: "ms",
        description: `killed API server serving again (/readyz) after 60 s down -> ${what}; one backend broke, one recovered during the outage`,
      });
    }
  });

  it("fences nothing and flips no healthy endpoint: the agents were alive all along", async () => {
    const o = need(outage, "the outage");
    const w = need(workload, "the workload");
    const flaps = await expectNothingFenced(world, w, need(base, "the baseline"), {
      from: o.killedAt,
      backAt: o.servingAt,
    });
    await recordMeasurement({
      name: "apiserverRestart.healthyEndpointFlaps",
      value: flaps,
      unit: "count",
      description:
        "readiness changes of endpoints healthy throughout a 60 s API server kill and restart, seen by a slice watcher until 15 s after convergence",
    });
    for (const swh of SWHS) {
      const status = (await getSwh(world, w.namespace, swh))?.status;
      expect(status?.endpointStatuses?.filter(e => e.fenced === true)).toEqual([]);
    }
  });

  it("evicts, recreates and restarts nothing, whatever the node lifecycle controller concluded", async () => {
    const o = need(outage, "the outage");
    const seen = await expectPodsUndisturbed(world, need(base, "the baseline"), o.killedAt);
    await recordOutcome("apiserverRestart", seen, "a 60 s API server kill and restart");
  });

  it("leaves the same processes running, the agents ready and their watches restarted", async () => {
    const o = need(outage, "the outage");
    const b = need(base, "the baseline");
    await expectSameProcesses(world, b, need(samples, "the samples"), o.killedAt);
    // Every agent's informers noticed the dead server and restarted. While it is dead they try
    // to resume their watches (connection refused: network); the restarted server's new watch
    // cache may not know their resourceVersions and answer 410 Gone, which relists. The reasons
    // and the requests are printed, and the pod and SWH created below prove the watches came back.
    const restartsAfter = await watchRestarts(b);
    const perAgent = restartsAfter.map((after, i) => grownBy(o.restartsBefore[i] ?? {}, after));
    const grown = addCounts(...perAgent);
    process.stdout.write(
      `agents' informer restarts over the outage, by reason: ${JSON.stringify(grown)}\n`,
    );
    const sum = (counts: Record<string, number>): number =>
      Object.values(counts).reduce((a, b) => a + b, 0);
    const quiet = perAgent.flatMap((g, i) => (sum(g) > 0 ? [] : [NODES[i]]));
    expect(quiet).toEqual([]);
    const total = sum(grown);
    const requests = addCounts(
      ...(await apiRequests(b)).map((after, i) => grownBy(o.requestsBefore[i] ?? {}, after)),
    );
    process.stdout.write(
      `agents' API requests from the kill on, by verb: ${JSON.stringify(requests)}\n`,
    );
    await recordMeasurement({
      name: "apiserverRestart.listRequests",
      value: requests.list ?? 0,
      unit: "count",
      description: `list requests of the 3 agents from a 60 s API server kill to after the recovery (informers resume watches on network failures; requests by verb: ${JSON.stringify(requests)})`,
    });
    await recordMeasurement({
      name: "apiserverRestart.informerRestarts",
      value: total,
      unit: "count",
      description: `list/watch restarts of the 3 agents' informers over a 60 s API server kill and restart (by reason: ${JSON.stringify(grown)})`,
    });
  });

  it("picks up a pod and an SWH created after the restart (list+watch re-established)", async () => {
    const w = need(workload, "the workload");
    const o = need(outage, "the outage");
    const createdAt = Date.now();
    await addAppPod(w, 3, "node-1");
    await applyManifest(world, swhManifest(w.namespace, "late", 8080));
    const expected = {
      web: ["app-0", "app-2", "app-3"],
      api: ["app-0", "app-1", "app-2", "app-3"],
      late: ["app-0", "app-2", "app-3"],
    };
    await eventually(
      "the new pod in web and api, and the new SWH with its ready pods",
      async () => {
        const seen = {
          ...(await readySlices(w)),
          late: await readyPods(world, w.namespace, "late"),
        };
        expect(seen).toEqual(expected);
      },
      CONVERGE_TIMEOUT_MS,
      100,
    );
    const pickedUpMs = Date.now() - createdAt;
    process.stdout.write(
      `${((createdAt - o.servingAt) / 1000).toFixed(1)} s after the restart, a new pod and SWH were published in ${(pickedUpMs / 1000).toFixed(2)} s\n`,
    );
    await recordMeasurement({
      name: "apiserverRestart.newObjectsPublishedMs",
      value: pickedUpMs,
      unit: "ms",
      description:
        "after the API server restart: pod and SWH created -> both in ready EndpointSlices (polled every 100 ms)",
    });
    await eventually(
      "the new SWH's status says 3/4",
      async () =>
        expect((await getSwh(world, w.namespace, "late"))?.status?.readySummary).toBe("3/4"),
      CONVERGE_TIMEOUT_MS,
      500,
    );
  });
});
