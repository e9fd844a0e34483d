// A settings change through the module's ModuleConfig reaches the running agents, the way it
// does in a Deckhouse cluster: the ModuleConfig bridge validates `spec.settings` and hands them to
// the operator, the operator re-renders the Helm release (a new DaemonSet pod template, settings
// being agent flags), and the DaemonSet's RollingUpdate — here the harness's rollout stand-in —
// replaces the agents one node at a time. The scenario shows the agents then BEHAVE differently
// (Lease duration and renewal spacing, log level, lastProbeTime in the status), that no healthy
// endpoint flapped during the rollout, that invalid settings are refused with the reason in the
// ModuleConfig status while the DaemonSet and agents stay as they were, and it puts the e2e
// settings back (other scenario files share the world). Rollout times go to the e2e report.
import { jest } from "@jest/globals";
import { SWH_API_VERSION, SWH_KIND } from "../../../api/contract.js";
import { MODULE_NAME } from "../../../api/contract.js";
import type { Artefacts } from "../../cluster/builds.js";
import { getOrUndefined } from "../../cluster/kube.js";
import {
  agentLease,
  agentLogLines,
  moduleConfigStatus,
  processArgs,
  renewalGaps,
} from "../../cluster/scenario/agent-behaviour.js";
import {
  releaseScenarioWorld,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { readyPods, serviceEndpoints } from "../../cluster/scenario/endpoints.js";
import { sumMetric } from "../../cluster/prom-text.js";
import { applyManifest, createNamespace, deleteNamespace } from "../../cluster/scenario/objects.js";
import { EndpointRecorder } from "../../cluster/scenario/recorder.js";
import { recordMeasurement } from "../../cluster/scenario/report.js";
import { getSwh } from "../../cluster/scenario/swh.js";
import { agentDaemonSet } from "../../cluster/world/agents.js";
import { backendClient, startBackend, stopBackend } from "../../cluster/world/backends.js";
import { daemonSetView, rolloutStatus } from "../../cluster/world/daemonset-plan.js";
import { OPERATOR_CONFIG_MAP, OPERATOR_NAMESPACE } from "../../cluster/world/operator.js";
import { createPod, deletePod, type FakePod } from "../../cluster/world/pods.js";
import { waitRolledOut, type RolledOut } from "../../cluster/world/rollout-wait.js";
import { expectedAgentFlags } from "../../cluster/world/settings-flags.js";
import {
  applyModuleConfig,
  E2E_SETTINGS,
  ensureNodeAgent,
  waitModuleApplied,
  type World,
} from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(600_000);

const NODES = ["node-1", "node-2", "node-3"] as const;
/** Every settings field that becomes an agent flag, changed. */
const NEW_SETTINGS = {
  logLevel: "Warn",
  verboseStatus: true,
  agent: { maxConcurrentProbes: 64 },
  heartbeat: { leaseDurationSeconds: 12, renewIntervalSeconds: 4 },
} as const;
/** Out of the openapi range (leaseDurationSeconds minimum 5). */
const INVALID_SETTINGS = {
  ...NEW_SETTINGS,
  heartbeat: { leaseDurationSeconds: 2, renewIntervalSeconds: 1 },
} as const;
const E2E_HEARTBEAT = E2E_SETTINGS.heartbeat as {
  leaseDurationSeconds: number;
  renewIntervalSeconds: number;
};

let world: World;
let artefacts: Artefacts;
let ns = "";
const pods: FakePod[] = [];
const backendName = (): string => `settings-${ns}`;
/** The rollout with the e2e settings, before this file changed anything. */
let initial: RolledOut;
/** The rollout of NEW_SETTINGS. */
let changed: RolledOut | undefined;

async function httpPod(name: string, labels: Record<string, string>, node: string): Promise<void> {
  const pod = await createPod(world, {
    namespace: ns,
    name,
    labels,
    node,
    containers: [{ name: "app", ports: [{ containerPort: 8080 }] }],
  });
  pods.push(pod);
  await backendClient(world, backendName()).httpServer(name, pod.addresses.ipv4, 8080);
}

async function httpSwh(name: string): Promise<void> {
  await applyManifest(world, {
    apiVersion: SWH_API_VERSION,
    kind: SWH_KIND,
    metadata: { name, namespace: ns },
    spec: {
      selector: { app: name },
      ports: [{ port: 80, targetPort: 8080 }],
      healthcheck: {
        periodSeconds: 1,
        initialDelaySeconds: 0,
        probes: [{ mode: "HTTP", http: { targetPort: 8080, path: "/healthz" } }],
      },
    },
  });
}

/** Sets the canary's health and waits until its slice says so. */
async function setCanary(ready: boolean): Promise<void> {
  await backendClient(world, backendName()).setHealth("canary-0", ready ? 200 : 503);
  await eventually(
    `canary-0 ${ready ? "ready" : "not ready"} in the slices`,
    async () => {
      const rows = (await serviceEndpoints(world, ns, "canary")).filter(r => r.pod === "canary-0");
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every(r => r.ready === ready)).toBe(true);
    },
    60_000,
    200,
  );
}

/** Applies `settings` and waits until the DaemonSet carries them and is rolled out. */
async function rollTo(settings: Readonly<Record<string, unknown>>): Promise<{
  rendered: Awaited<ReturnType<typeof waitModuleApplied>>;
  rolled: RolledOut;
  renderMs: number;
  rolloutMs: number;
}> {
  const t0 = Date.now();
  await applyModuleConfig(world, settings);
  const rendered = await waitModuleApplied(world, settings);
  const renderMs = Date.now() - t0;
  const rolled = await waitRolledOut(world, { minGeneration: rendered.generation });
  return { rendered, rolled, renderMs, rolloutMs: Date.now() - t0 };
}

beforeAll(async () => {
  ({ world, artefacts } = await scenarioWorld());
  ns = await createNamespace(world, "swh-settings");
  await startBackend(world, backendName(), artefacts.backendBundle);
  for (const [i, node] of NODES.entries()) await httpPod(`app-${i}`, { app: "app" }, node);
  await httpPod("canary-0", { app: "canary" }, "node-1");
  await httpSwh("app");
  await httpSwh("canary");
  await eventually(
    "app has three ready endpoints and canary one",
    async () => {
      expect(await readyPods(world, ns, "app")).toEqual(["app-0", "app-1", "app-2"]);
      expect(await readyPods(world, ns, "canary")).toEqual(["canary-0"]);
    },
    60_000,
    250,
  );
  initial = await waitRolledOut(world);
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  // Whatever failed above, the next scenario file gets the e2e settings and live agents.
  if (world) {
    await rollTo(E2E_SETTINGS).catch((err: unknown) => {
      process.stderr.write(`restoring the e2e settings failed: ${String(err)}\n`);
    });
    for (const node of NODES) await ensureNodeAgent(world, node);
  }
  if (ns) {
    await stopBackend(world, backendName());
    for (const pod of pods) await deletePod(world, pod);
    await deleteNamespace(world, ns);
  }
  await releaseScenarioWorld();
});

describe("with the e2e settings", () => {
  it("runs every agent from the DaemonSet's template, as its status says", () => {
    expect(initial.ds.status).toMatchObject({
      observedGeneration: initial.view.generation,
      desiredNumberScheduled: 3,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
    });
    for (const node of NODES) {
      const record = initial.state.agents[node];
      expect(record?.templateHash).toBe(initial.view.templateHash);
      expect(processArgs(record?.pid ?? 0)).toEqual(
        expect.arrayContaining(expectedAgentFlags(E2E_SETTINGS)),
      );
    }
  });

  it("agents log endpoint transitions (Debug) and status has no lastProbeTime", async () => {
    const since = Date.now();
    await setCanary(false);
    const logFile = initial.state.agents["node-1"]?.logFile ?? "";
    await eventually("the agent of node-1 logged the transition", () => {
      const lines = agentLogLines(logFile, since);
      expect(lines).toContainEqual(
        expect.objectContaining({ level: "info", msg: "endpoint not ready", pod: "canary-0" }),
      );
      return Promise.resolve();
    });
    await setCanary(true);
    const swh = await getSwh(world, ns, "app");
    expect(swh?.status?.endpointStatuses?.length).toBe(3);
    expect(swh?.status?.endpointStatuses?.some(e => e.lastProbeTime !== undefined)).toBe(false);
    for (const node of NODES) {
      expect((await agentLease(world, node))?.spec?.leaseDurationSeconds).toBe(
        E2E_HEARTBEAT.leaseDurationSeconds,
      );
    }
  });
});

describe("a valid settings change through the ModuleConfig", () => {
  it("re-renders the DaemonSet and rolls the agents one node at a time, without a flap", async () => {
    const recorder = new EndpointRecorder(world, ns, "app");
    await recorder.start();
    try {
      const since = Date.now();
      const { rendered, rolled, renderMs, rolloutMs } = await rollTo(NEW_SETTINGS);
      changed = rolled;
      expect(rendered.generation).toBeGreaterThan(initial.view.generation);
      expect(rendered.templateHash).not.toBe(initial.view.templateHash);
      expect(rendered.args).toEqual(expect.arrayContaining(expectedAgentFlags(NEW_SETTINGS)));
      // The API server drops zero counts it marks omitempty (numberUnavailable).
      expect({ numberUnavailable: 0, ...rolled.ds.status }).toEqual({
        observedGeneration: rendered.generation,
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        updatedNumberScheduled: 3,
        numberMisscheduled: 0,
        numberReady: 3,
        numberAvailable: 3,
        numberUnavailable: 0,
      });
      const records = NODES.map(node => rolled.state.agents[node]);
      for (const [i, node] of NODES.entries()) {
        const record = records[i];
        expect(record?.pid).not.toBe(initial.state.agents[node]?.pid);
        expect(record?.templateHash).toBe(rendered.templateHash);
        expect(processArgs(record?.pid ?? 0)).toEqual(
          expect.arrayContaining(expectedAgentFlags(NEW_SETTINGS)),
        );
      }
      // One node at a time: each agent was started after the previous one answered /readyz.
      const starts = records.map(r => Date.parse(r?.startedAt ?? ""));
      const readies = records.map(r => Date.parse(r?.readyAt ?? ""));
      for (let i = 1; i < records.length; i++) {
        expect(starts[i]).toBeGreaterThanOrEqual(readies[i - 1] ?? Number.NaN);
      }
      // Several probe periods with every new agent in charge.
      await new Promise(resolve => setTimeout(resolve, 6_000));
      const flaps = recorder.changesSince(since);
      expect(flaps).toEqual([]);
      expect(await readyPods(world, ns, "app")).toEqual(["app-0", "app-1", "app-2"]);
      const perNode = readies.map(
        (r, i) => r - (i === 0 ? (starts[0] ?? 0) : (readies[i - 1] ?? 0)),
      );
      await recordMeasurement({
        name: "settings.renderMs",
        value: renderMs,
        unit: "ms",
        description: "ModuleConfig settings patched -> the agent DaemonSet carries the new flags",
      });
      await recordMeasurement({
        name: "settings.rolloutMs",
        value: rolloutMs,
        unit: "ms",
        description:
          "ModuleConfig settings patched -> all 3 agents replaced one at a time and ready (rollout status done)",
      });
      await recordMeasurement({
        name: "settings.rolloutFlaps",
        value: flaps.length,
        unit: "count",
        description:
          "endpoint readiness changes seen by a slice watcher during the settings rollout",
      });
      process.stdout.write(
        `settings rollout: rendered in ${(renderMs / 1000).toFixed(1)} s, rolled out in ${(rolloutMs / 1000).toFixed(1)} s; per node (stop + start + ready) ${perNode.map(ms => `${(ms / 1000).toFixed(1)} s`).join(", ")}\n`,
      );
    } finally {
      await recorder.stop();
    }
  });

  it("the agents hold their Leases for the new duration and renew them at the new interval", async () => {
    const { leaseDurationSeconds, renewIntervalSeconds } = NEW_SETTINGS.heartbeat;
    await eventually("every Lease says the new duration", async () => {
      for (const node of NODES) {
        const lease = await agentLease(world, node);
        expect(lease?.spec?.holderIdentity).toBe(node);
        expect(lease?.spec?.leaseDurationSeconds).toBe(leaseDurationSeconds);
      }
    });
    const gaps = await Promise.all(NODES.map(node => renewalGaps(world, node, 3, 60_000)));
    process.stdout.write(
      `Lease renewal gaps (ms) after the change, renewIntervalSeconds ${E2E_HEARTBEAT.renewIntervalSeconds} -> ${renewIntervalSeconds}: ${JSON.stringify(gaps)}\n`,
    );
    // A lower bound only: the agent sleeps a full interval after each renewal, so a loaded
    // machine makes the gaps longer, never shorter; the old agents renewed every 2 s.
    for (const gap of gaps.flat())
      expect(gap).toBeGreaterThanOrEqual(renewIntervalSeconds * 1000 - 100);
  });

  it("the agents run at most the new number of probes at once", async () => {
    for (const node of NODES) {
      const record = changed?.state.agents[node];
      if (!record) throw new Error(`the rollout did not record the agent of ${node}`);
      const res = await fetch(`http://127.0.0.1:${record.metricsPort}/metrics`);
      const limit = sumMetric(await res.text(), "swh_agent_probe_concurrency_limit");
      expect(limit).toBe(NEW_SETTINGS.agent.maxConcurrentProbes);
    }
  });

  it("the agents log at the new level: an endpoint transition leaves no info line", async () => {
    const record = changed?.state.agents["node-1"];
    if (!record?.startedAt) throw new Error("the rollout did not record the agent of node-1");
    await setCanary(false);
    // The agent noticed (the slice above says so) and its report says why...
    const rows = (await serviceEndpoints(world, ns, "canary")).filter(r => r.pod === "canary-0");
    expect(rows[0]?.failures.join("; ")).toMatch(/503/);
    await setCanary(true);
    // ...but at Warn it logged nothing about it, nor anything else below warn, since it started.
    const lines = agentLogLines(record.logFile, Date.parse(record.startedAt));
    expect(lines.filter(l => l.level === "info" || l.level === "debug")).toEqual([]);
  });

  it("verboseStatus: the status gains per-endpoint lastProbeTime (agent reports + status hook)", async () => {
    const probeTimes = async (): Promise<string[]> => {
      const swh = await getSwh(world, ns, "app");
      const times = (swh?.status?.endpointStatuses ?? []).map(e => e.lastProbeTime ?? "");
      expect(times.length).toBe(3);
      expect(times.every(t => t !== "")).toBe(true);
      return times;
    };
    const first = await eventually(
      "every endpoint status has a lastProbeTime",
      probeTimes,
      60_000,
      250,
    );
    await eventually(
      "lastProbeTime advances with the probes",
      async () => {
        const next = await probeTimes();
        expect(next.some((t, i) => Date.parse(t) > Date.parse(first[i] ?? ""))).toBe(true);
      },
      30_000,
      250,
    );
  });
});

describe("an invalid settings change", () => {
  it("is refused with the reason in the ModuleConfig status; the DaemonSet and agents stay", async () => {
    const dsBefore = await agentDaemonSet(world.rest);
    if (!dsBefore) throw new Error("no agent DaemonSet");
    const viewBefore = daemonSetView(dsBefore);
    const cmPath = `/api/v1/namespaces/${OPERATOR_NAMESPACE}/configmaps/${OPERATOR_CONFIG_MAP}`;
    const cmBefore = await getOrUndefined<{ data?: Record<string, string> }>(world.rest, cmPath);
    const pidsBefore = NODES.map(n => changed?.state.agents[n]?.pid);
    await applyModuleConfig(world, INVALID_SETTINGS);
    const status = await eventually("the ModuleConfig status says why", async () => {
      const mc = await moduleConfigStatus(world);
      expect(mc.message).toMatch(/settings\.heartbeat\.leaseDurationSeconds must be >= 5/);
      return mc;
    });
    process.stdout.write(`ModuleConfig ${MODULE_NAME} status.message: ${status.message}\n`);
    // Several resync periods of the bridge, the operator and the rollout stand-in.
    await new Promise(resolve => setTimeout(resolve, 5_000));
    const cmAfter = await getOrUndefined<{ data?: Record<string, string> }>(world.rest, cmPath);
    expect(cmAfter?.data).toEqual(cmBefore?.data);
    const dsAfter = await agentDaemonSet(world.rest);
    if (!dsAfter) throw new Error("the agent DaemonSet is gone");
    expect(daemonSetView(dsAfter)).toEqual(viewBefore);
    expect(rolloutStatus(dsAfter).done).toBe(true);
    const { state } = await waitRolledOut(world, { minGeneration: viewBefore.generation });
    expect(NODES.map(n => state.agents[n]?.pid)).toEqual(pidsBefore);
    for (const node of NODES) {
      expect((await agentLease(world, node))?.spec?.leaseDurationSeconds).toBe(
        NEW_SETTINGS.heartbeat.leaseDurationSeconds,
      );
    }
  });
});

describe("the e2e settings put back", () => {
  it("rolls the agents back to the first template, and the ModuleConfig status clears", async () => {
    const { rendered, rolled, rolloutMs } = await rollTo(E2E_SETTINGS);
    expect(rendered.templateHash).toBe(initial.view.templateHash);
    expect(rolled.ds.status?.updatedNumberScheduled).toBe(3);
    await eventually("the ModuleConfig status is clear", async () => {
      expect((await moduleConfigStatus(world)).message).toBe("");
    });
    await eventually("every Lease says the e2e duration again", async () => {
      for (const node of NODES) {
        expect((await agentLease(world, node))?.spec?.leaseDurationSeconds).toBe(
          E2E_HEARTBEAT.leaseDurationSeconds,
        );
      }
    });
    expect(await readyPods(world, ns, "app")).toEqual(["app-0", "app-1", "app-2"]);
    await recordMeasurement({
      name: "settings.rollbackMs",
      value: rolloutMs,
      unit: "ms",
      description: "e2e settings restored -> all 3 agents back on the first template and ready",
    });
  });
});
