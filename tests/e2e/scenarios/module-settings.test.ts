// A settings change through the module's ModuleConfig reaches the running agents, the way it
// does in a Deckhouse cluster: the ModuleConfig bridge validates `spec.settings` and hands them to
// the operator, the operator re-renders the Helm release (a new DaemonSet pod template, settings
// being agent flags), and the real DaemonSet controller rolls the agent pods on the three real
// nodes (RollingUpdate, the chart's 10% of three nodes rounding up to one pod at a time), the
// kubelets running the new pods. The scenario shows the agents then BEHAVE differently (Lease
// duration and renewal spacing, probe concurrency in their metrics, log level in their pod logs,
// lastProbeTime in the status), that no healthy endpoint flapped during the rollout, that invalid
// settings are refused with the reason in the ModuleConfig status while the DaemonSet and its pods
// stay as they were, and it puts the e2e settings back (other scenario files share the world).
// Rollout times go to the e2e report.
import { jest } from "@jest/globals";
import { MODULE_NAME, SWH_API_VERSION, SWH_KIND } from "../../../api/contract.js";
import type { BackendClient } from "../../cluster/backends/client.js";
import { getOrUndefined } from "../../cluster/kube.js";
import { sumMetric } from "../../cluster/prom-text.js";
import {
  agentLease,
  agentLogLines,
  agentMetricsText,
  moduleConfigStatus,
  renewalGaps,
} from "../../cluster/scenario/agent-behaviour.js";
import {
  daemonSetPods,
  requireAgentDaemonSet,
  type AgentDaemonSet,
  type DaemonSetPod,
} from "../../cluster/scenario/agent-daemonset.js";
import {
  releaseScenarioWorld,
  SCENARIO_NODES,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { readyPods, serviceEndpoints } from "../../cluster/scenario/endpoints.js";
import { applyManifest, createNamespace, deleteNamespace } from "../../cluster/scenario/objects.js";
import { startRealPods, type RealPodSpec } from "../../cluster/scenario/real-pods.js";
import { EndpointRecorder } from "../../cluster/scenario/recorder.js";
import { recordMeasurement } from "../../cluster/scenario/report.js";
import { getSwh } from "../../cluster/scenario/swh.js";
import { OPERATOR_CONFIG_MAP, OPERATOR_NAMESPACE } from "../../cluster/world/operator.js";
import { waitDaemonSetRolledOut } from "../../cluster/world/real-nodes.js";
import { expectedAgentFlags } from "../../cluster/world/settings-flags.js";
import {
  applyModuleConfig,
  E2E_SETTINGS,
  waitModuleApplied,
  type World,
} from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(600_000);

const NODES: readonly string[] = SCENARIO_NODES;
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
/** The chart's default (openapi/config-values.yaml), in force with the e2e settings. */
const DEFAULT_MAX_CONCURRENT_PROBES = 1000;
const CM_PATH = `/api/v1/namespaces/${OPERATOR_NAMESPACE}/configmaps/${OPERATOR_CONFIG_MAP}`;

/** The agent DaemonSet once rolled out, and its pods (one per node, none terminating). */
interface Rolled {
  readonly ds: AgentDaemonSet;
  readonly pods: readonly DaemonSetPod[];
}

let world: World;
let ns = "";
let canary: BackendClient;
/** The rollout with the e2e settings, before this file changed anything. */
let initial: Rolled;
/** The rollout of NEW_SETTINGS. */
let changed: Rolled | undefined;

function httpSwh(name: string): Promise<unknown> {
  return applyManifest(world, {
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
  await canary.setHealth("web", ready ? 200 : 503);
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

/** Waits until the DaemonSet controller rolled `minGeneration` out and the old pods are gone. */
async function rolledOut(minGeneration: number): Promise<Rolled> {
  await waitDaemonSetRolledOut(world.rest, minGeneration);
  return eventually(
    "one agent pod per node, none terminating",
    async () => {
      const pods = await daemonSetPods(world.rest);
      expect(pods.map(p => `${p.node}${p.terminating ? " (terminating)" : ""}`)).toEqual(NODES);
      return { ds: await requireAgentDaemonSet(world.rest), pods };
    },
    60_000,
    250,
  );
}

/** Applies `settings` and waits until the DaemonSet carries them and is rolled out. */
async function rollTo(settings: Readonly<Record<string, unknown>>): Promise<{
  rendered: AgentDaemonSet;
  rolled: Rolled;
  renderMs: number;
  rolloutMs: number;
}> {
  const t0 = Date.now();
  await applyModuleConfig(world, settings);
  await waitModuleApplied(world, settings);
  const rendered = await requireAgentDaemonSet(world.rest);
  const renderMs = Date.now() - t0;
  const rolled = await rolledOut(rendered.generation);
  return { rendered, rolled, renderMs, rolloutMs: Date.now() - t0 };
}

/** The agent pod of `node` in `rolled`. */
function podOn(rolled: Rolled | undefined, node: string): DaemonSetPod {
  const pod = rolled?.pods.find(p => p.node === node);
  if (!pod) throw new Error(`no agent pod on ${node}`);
  return pod;
}

async function probeConcurrencyLimits(rolled: Rolled): Promise<number[]> {
  const limits: number[] = [];
  for (const pod of rolled.pods) {
    limits.push(sumMetric(await agentMetricsText(world, pod), "swh_agent_probe_concurrency_limit"));
  }
  return limits;
}

beforeAll(async () => {
  ({ world } = await scenarioWorld());
  ns = await createNamespace(world, "swh-settings");
  const web = (name: string, app: string, node: string): RealPodSpec => ({
    name,
    namespace: ns,
    node,
    labels: { app },
    serve: ["http:web:8080:/healthz"],
  });
  const pods = await startRealPods(world, [
    ...NODES.map((node, i) => web(`app-${i}`, "app", node)),
    web("canary-0", "canary", "node-1"),
  ]);
  canary = pods.get("canary-0")!.backend;
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
  initial = await rolledOut(0);
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  // Whatever failed above, the next scenario file gets the e2e settings.
  if (world) {
    await rollTo(E2E_SETTINGS).catch((err: unknown) => {
      process.stderr.write(`restoring the e2e settings failed: ${String(err)}\n`);
    });
  }
  if (ns) await deleteNamespace(world, ns);
  await releaseScenarioWorld();
});

describe("with the e2e settings", () => {
  it("runs one agent pod per node from the DaemonSet's template, as its status says", async () => {
    expect(initial.ds.status).toMatchObject({
      observedGeneration: initial.ds.generation,
      desiredNumberScheduled: 3,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
    });
    expect(new Set(initial.pods.map(p => p.revision)).size).toBe(1);
    for (const pod of initial.pods) {
      expect(pod.args).toEqual(initial.ds.args);
      expect(pod.args).toEqual(expect.arrayContaining(expectedAgentFlags(E2E_SETTINGS)));
    }
    expect(await probeConcurrencyLimits(initial)).toEqual(
      NODES.map(() => DEFAULT_MAX_CONCURRENT_PROBES),
    );
  });

  it("agents log endpoint transitions (Debug) and status has no lastProbeTime", async () => {
    const since = Date.now();
    await setCanary(false);
    const agent = podOn(initial, "node-1");
    await eventually(
      "the agent pod of node-1 logged the transition",
      async () => {
        expect(await agentLogLines(world, agent, since)).toContainEqual(
          expect.objectContaining({ level: "info", msg: "endpoint not ready", pod: "canary-0" }),
        );
      },
      30_000,
      500,
    );
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
  it("re-renders the DaemonSet, whose controller replaces the agent pods one node at a time, without a flap", async () => {
    const recorder = new EndpointRecorder(world, ns, "app");
    await recorder.start();
    try {
      const since = Date.now();
      const { rendered, rolled, renderMs, rolloutMs } = await rollTo(NEW_SETTINGS);
      changed = rolled;
      expect(rendered.generation).toBeGreaterThan(initial.ds.generation);
      expect(rendered.template).not.toEqual(initial.ds.template);
      expect(rendered.args).toEqual(expect.arrayContaining(expectedAgentFlags(NEW_SETTINGS)));
      // The API server drops zero counts it marks omitempty (numberUnavailable).
      expect({ numberUnavailable: 0, ...rolled.ds.status }).toMatchObject({
        observedGeneration: rendered.generation,
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        updatedNumberScheduled: 3,
        numberMisscheduled: 0,
        numberReady: 3,
        numberAvailable: 3,
        numberUnavailable: 0,
      });
      // Every pod is new, from the new template revision, running the new flags.
      const oldUids = initial.pods.map(p => p.uid);
      const oldRevision = initial.pods[0]?.revision;
      const revisions = new Set(rolled.pods.map(p => p.revision));
      expect(revisions.size).toBe(1);
      expect(revisions.has(oldRevision ?? "")).toBe(false);
      for (const pod of rolled.pods) {
        expect(oldUids).not.toContain(pod.uid);
        expect(pod.args).toEqual(rendered.args);
      }
      // One node at a time: each pod was created once the one before it was Ready (to the
      // second, the API's precision; pods made together would be created before either is Ready).
      const byCreation = [...rolled.pods].sort(
        (a, b) => a.createdAt - b.createdAt || (a.readyAt ?? 0) - (b.readyAt ?? 0),
      );
      for (let i = 1; i < byCreation.length; i++) {
        expect(byCreation[i]?.createdAt).toBeGreaterThanOrEqual(
          byCreation[i - 1]?.readyAt ?? Number.NaN,
        );
      }
      // Several probe periods with every new agent in charge.
      await new Promise(resolve => setTimeout(resolve, 6_000));
      const flaps = recorder.changesSince(since);
      expect(flaps).toEqual([]);
      expect(await readyPods(world, ns, "app")).toEqual(["app-0", "app-1", "app-2"]);
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
          "ModuleConfig settings patched -> the DaemonSet controller replaced all 3 agent pods one at a time, all available (rollout status done)",
      });
      await recordMeasurement({
        name: "settings.rolloutFlaps",
        value: flaps.length,
        unit: "count",
        description:
          "endpoint readiness changes seen by a slice watcher during the settings rollout",
      });
      const steps = byCreation.map(p => `${p.node} ${((p.readyAt ?? 0) - p.createdAt) / 1000} s`);
      process.stdout.write(
        `settings rollout: rendered in ${(renderMs / 1000).toFixed(1)} s, rolled out in ${(rolloutMs / 1000).toFixed(1)} s; pod created -> Ready: ${steps.join(", ")}\n`,
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

  it("the agents run at most the new number of probes at once (their metrics, through kube-rbac-proxy)", async () => {
    if (!changed) throw new Error("the rollout did not finish");
    expect(await probeConcurrencyLimits(changed)).toEqual(
      NODES.map(() => NEW_SETTINGS.agent.maxConcurrentProbes),
    );
  });

  it("the agents log at the new level: an endpoint transition leaves no info line", async () => {
    const agent = podOn(changed, "node-1");
    await setCanary(false);
    // The agent noticed (the slice above says so) and its report says why...
    const rows = (await serviceEndpoints(world, ns, "canary")).filter(r => r.pod === "canary-0");
    expect(rows[0]?.failures.join("; ")).toMatch(/503/);
    await setCanary(true);
    // ...but at Warn its pod logged nothing about it, nor anything else below warn, since it
    // was created.
    const lines = await agentLogLines(world, agent, agent.createdAt);
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
  it("is refused with the reason in the ModuleConfig status; the DaemonSet and its pods stay", async () => {
    const dsBefore = await requireAgentDaemonSet(world.rest);
    const cmBefore = await getOrUndefined<{ data?: Record<string, string> }>(world.rest, CM_PATH);
    const uidsBefore = (await daemonSetPods(world.rest)).map(p => p.uid);
    await applyModuleConfig(world, INVALID_SETTINGS);
    const status = await eventually("the ModuleConfig status says why", async () => {
      const mc = await moduleConfigStatus(world);
      expect(mc.message).toMatch(/settings\.heartbeat\.leaseDurationSeconds must be >= 5/);
      return mc;
    });
    process.stdout.write(`ModuleConfig ${MODULE_NAME} status.message: ${status.message}\n`);
    // Several resync periods of the bridge, the operator and the DaemonSet controller.
    await new Promise(resolve => setTimeout(resolve, 5_000));
    const cmAfter = await getOrUndefined<{ data?: Record<string, string> }>(world.rest, CM_PATH);
    expect(cmAfter?.data).toEqual(cmBefore?.data);
    const dsAfter = await requireAgentDaemonSet(world.rest);
    expect(dsAfter.generation).toBe(dsBefore.generation);
    expect(dsAfter.template).toEqual(dsBefore.template);
    expect(dsAfter.status).toMatchObject({
      observedGeneration: dsBefore.generation,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
    });
    expect((await daemonSetPods(world.rest)).map(p => p.uid)).toEqual(uidsBefore);
    for (const node of NODES) {
      expect((await agentLease(world, node))?.spec?.leaseDurationSeconds).toBe(
        NEW_SETTINGS.heartbeat.leaseDurationSeconds,
      );
    }
  });
});

describe("the e2e settings put back", () => {
  it("rolls the agent pods back to the first template revision, and the ModuleConfig status clears", async () => {
    const { rendered, rolled, rolloutMs } = await rollTo(E2E_SETTINGS);
    expect(rendered.template).toEqual(initial.ds.template);
    // The DaemonSet controller finds the first template's revision again: same hash.
    expect(rolled.pods.map(p => p.revision)).toEqual(initial.pods.map(p => p.revision));
    const changedUids = changed?.pods.map(p => p.uid) ?? [];
    for (const pod of rolled.pods) expect(changedUids).not.toContain(pod.uid);
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
      description:
        "e2e settings restored -> all 3 agent pods back on the first template revision and available",
    });
  });
});
