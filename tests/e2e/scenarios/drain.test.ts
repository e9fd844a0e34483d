// Per-endpoint drain (the pod annotation network.deckhouse.io/drain-from, issue #12 item 4) end
// to end on the seed's virtual machine: one launcher pod (label vm=my-vm, a real pod on node-2)
// behind the seed's `web` (HTTP) and `smtp` (TCP) Services, applied verbatim, and a client pod on
// node-3. The VM pod is annotated `drain-from=web` as `kubectl annotate` does (a merge patch of
// the pod's annotations): web's endpoint becomes ready false, serving false, while smtp's stays
// ready; a keep-alive connection the client opened through web's cluster IP before the drain
// carries every request after it, while new connections fail (the pod is web's only endpoint);
// web's status, an event and the node agent's metric say Drained. Removing the annotation brings
// the endpoint back at its next passing probe (the seed's 10 s period), with an event and the
// metric at 0. Times are recorded (build/e2e-report.json), not asserted.
import { setTimeout as sleep } from "node:timers/promises";
import { jest } from "@jest/globals";
import { ANNOTATION_DRAIN_FROM } from "../../../api/contract.js";
import type { BackendClient } from "../../cluster/backends/client.js";
import type { HoldReport } from "../../cluster/backends/hold.js";
import { listItems, mergePatch } from "../../cluster/kube.js";
import { metricSamples } from "../../cluster/prom-text.js";
import { agentPods, type AgentPod } from "../../cluster/scenario/agent-pods.js";
import {
  scrapeAgent,
  scraperIdentity,
  type ScraperIdentity,
} from "../../cluster/scenario/agent-scrape.js";
import {
  releaseScenarioWorld,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { readyPods, serviceEndpoints } from "../../cluster/scenario/endpoints.js";
import { applyManifest, createNamespace, deleteNamespace } from "../../cluster/scenario/objects.js";
import { clusterIp, startRealPods } from "../../cluster/scenario/real-pods.js";
import { EndpointRecorder } from "../../cluster/scenario/recorder.js";
import { recordMeasurement } from "../../cluster/scenario/report.js";
import { servedThrough } from "../../cluster/scenario/seed002.js";
import { endpointStatusOf, getSwh, seedIn } from "../../cluster/scenario/swh.js";
import { startVmWorkload, VM_POD, type RunningPod } from "../../cluster/scenario/workloads.js";
import type { World } from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(300_000);

const DRAINED_METRIC = "swh_agent_drained_endpoints";

let world: World;
let ns: string;
let vm: RunningPod;
let client: BackendClient;
let agent: AgentPod;
let scraper: ScraperIdentity;
let webUrl: string;
const pod = VM_POD;

beforeAll(async () => {
  ({ world } = await scenarioWorld());
  ns = await createNamespace(world, "swh-drain");
  vm = await startVmWorkload(world, ns);
  const clients = await startRealPods(world, [{ name: "client", namespace: ns, node: "node-3" }]);
  client = clients.get("client")!.backend;
  for (const name of ["web", "smtp"] as const) await applyManifest(world, seedIn(name, ns));
  for (const svc of ["web", "smtp"]) {
    await eventually(
      `${svc} has the VM pod ready`,
      async () => expect(await readyPods(world, ns, svc)).toEqual([pod]),
      90_000,
      500,
    );
  }
  agent = (await agentPods(world, [vm.node]))[0]!;
  scraper = await scraperIdentity(world.layout.stateDir);
  webUrl = `http://${await clusterIp(world, ns, "web")}:80/`;
  await servedThrough(client, webUrl);
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (ns) await deleteNamespace(world, ns);
  await releaseScenarioWorld();
});

/** `kubectl annotate pod <pod> drain-from=<value>` (or `drain-from-` with null). */
async function annotate(value: string | null): Promise<void> {
  await mergePatch(world.rest, `/api/v1/namespaces/${ns}/pods/${pod}`, {
    metadata: { annotations: { [ANNOTATION_DRAIN_FROM]: value } },
  });
}

/** The node-2 agent's drained-endpoints gauge for web (undefined: no series). */
async function drainedGauge(): Promise<number | undefined> {
  const res = await scrapeAgent(agent.ip, scraper, 5_000);
  if (res.status !== 200) throw new Error(`scraping the agent of ${agent.node}: ${res.status}`);
  return metricSamples(res.body, DRAINED_METRIC).find(
    s => s.labels.namespace === ns && s.labels.name === "web",
  )?.value;
}

interface EventJson {
  readonly reason?: string;
  readonly note?: string;
  readonly type?: string;
  readonly regarding?: { readonly name?: string; readonly kind?: string };
}

/** The events of reason `reason` about web whose note names the VM pod. */
async function webEvents(reason: string): Promise<EventJson[]> {
  const events = await listItems<EventJson>(
    world.rest,
    `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
  );
  return events.filter(
    e =>
      e.reason === reason &&
      e.regarding?.kind === "ServiceWithHealthchecks" &&
      e.regarding.name === "web" &&
      (e.note ?? "").includes(pod),
  );
}

/** One request of a burst of new connections through web's cluster IP answered. */
async function newConnectionsAnswered(): Promise<number> {
  const burst = await client.load({
    url: webUrl,
    durationMs: 1000,
    ratePerSecond: 10,
    timeoutMs: 1000,
  });
  return burst.ok;
}

describe("draining the seed's VM pod from web with a pod annotation", () => {
  let drainAt = 0;

  it("takes web's endpoint out (not ready, not serving), smtp untouched, the held connection kept", async () => {
    const smtp = new EndpointRecorder(world, ns, "smtp");
    await smtp.start();
    const holding = client.hold({
      url: webUrl,
      durationMs: 20_000,
      intervalMs: 250,
      timeoutMs: 2000,
    });
    let hold: HoldReport | undefined;
    try {
      await sleep(3_000); // requests on the connection before the drain
      drainAt = Date.now();
      await annotate("web");
      await eventually(
        "web's endpoint is ready false, serving false",
        async () =>
          expect(await serviceEndpoints(world, ns, "web")).toMatchObject([
            { pod, ready: false, serving: false, terminating: false },
          ]),
        30_000,
        100,
      );
      const publishedMs = Date.now() - drainAt;
      await eventually(
        "new connections through web's cluster IP fail",
        async () => expect(await newConnectionsAnswered()).toBe(0),
        30_000,
        0,
      );
      const refusedMs = Date.now() - drainAt;
      hold = await holding;
      await recordDrainTimes(publishedMs, refusedMs);
    } finally {
      await holding.catch(() => undefined);
      await smtp.stop();
    }
    expect(await readyPods(world, ns, "smtp")).toEqual([pod]);
    expect(smtp.changesSince(drainAt)).toEqual([]);
    // The connection opened before the drain carried every request, before and after it.
    const afterDrain = hold.samples.filter(s => hold.startedAt + s.at > drainAt + 1_000);
    expect(afterDrain.length).toBeGreaterThan(10);
    expect(hold.samples.filter(s => s.status !== 200)).toEqual([]);
    expect(hold.connections).toBe(1);
    expect(new Set(hold.samples.map(s => s.backend))).toEqual(new Set([pod]));
  });

  it("says Drained in web's status, in an event and in the agent's metric", async () => {
    await eventually(
      "web's status shows the endpoint drained",
      async () => {
        const ep = endpointStatusOf(await getSwh(world, ns, "web"), pod);
        expect(ep).toMatchObject({ ready: false, probesSuccessful: true, drained: true });
        expect(ep?.message).toMatch(
          /Drain: drained by annotation network.deckhouse.io\/drain-from/,
        );
        expect(ep?.failedProbes).toBeUndefined();
      },
      30_000,
      500,
    );
    const smtpStatus = endpointStatusOf(await getSwh(world, ns, "smtp"), pod);
    expect(smtpStatus?.ready).toBe(true);
    expect(smtpStatus?.drained).toBeUndefined();
    const [row] = await serviceEndpoints(world, ns, "web");
    expect(row?.failures).toEqual([`Drain: drained by annotation ${ANNOTATION_DRAIN_FROM}`]);
    await eventually(
      "a Drained event about web names the pod",
      async () => expect((await webEvents("Drained")).map(e => e.type)).toEqual(["Normal"]),
      30_000,
      500,
    );
    await eventually(
      "the node agent's gauge counts one drained endpoint",
      async () => expect(await drainedGauge()).toBe(1),
      30_000,
      500,
    );
  });

  it("brings web's endpoint back at its next passing probe once the annotation is removed", async () => {
    const removedAt = Date.now();
    await annotate(null);
    await eventually(
      "web has the VM pod ready again",
      async () => expect(await readyPods(world, ns, "web")).toEqual([pod]),
      60_000,
      100,
    );
    await recordMeasurement({
      name: "drain.restoredMs",
      value: Date.now() - removedAt,
      unit: "ms",
      description:
        "web: drain-from annotation removed -> the endpoint is ready again in the slices (at its next passing probe; the seed's periodSeconds 10)",
    });
    await eventually(
      "web's status, the DrainRemoved event and the gauge say the drain is over",
      async () => {
        const ep = endpointStatusOf(await getSwh(world, ns, "web"), pod);
        expect(ep).toMatchObject({ ready: true, probesSuccessful: true });
        expect(ep?.drained).toBeUndefined();
        expect(ep?.message).toBeUndefined();
        expect((await webEvents("DrainRemoved")).length).toBe(1);
        expect(await drainedGauge()).toBe(0);
      },
      30_000,
      500,
    );
    await servedThrough(client, webUrl, 30_000);
  });
});

/** Records how long the drain took to reach the slices and kube-proxy. */
async function recordDrainTimes(publishedMs: number, refusedMs: number): Promise<void> {
  await recordMeasurement({
    name: "drain.publishedMs",
    value: publishedMs,
    unit: "ms",
    description:
      "web: `kubectl annotate pod <vm pod> network.deckhouse.io/drain-from=web` -> the endpoint is ready false, serving false in the slices",
  });
  await recordMeasurement({
    name: "drain.newConnectionsRefusedMs",
    value: refusedMs,
    unit: "ms",
    description:
      "web: annotation -> a burst of new connections through the cluster IP from another node gets no answer (kube-proxy programmed)",
  });
}
