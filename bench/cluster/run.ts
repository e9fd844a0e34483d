// Runs the cluster benchmark in the cluster in a box (BRIEF §7 "Propagation" and "Zero API
// writes ... one write per slice per change"). The box runs with its audit log on and the whole
// module's control plane as Deckhouse runs it (tests/cluster's world on a box without real nodes:
// the real addon-operator running the hooks executable and Helm release). On top, a hollow node
// (hollow-node.ts) whose agent - the real agent, instrumented to print threshold crossings, a
// process here (agent-process.ts) - probes 1,000 pods that are API objects whose addresses live
// in the benchmark's own pod network namespace (pod-network/), where its target servers listen. The
// run then (1) waits for every endpoint to be ready, (2) counts API requests at the server over a
// steady-state window, and (3) flips waves of backends down and up, timing each transition from
// the crossing (agent) and from the failure itself (target server) to the slice watch, while the
// audit log counts the writes the churn costs.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { putPod } from "../../tests/agent/cluster.js";
import { apply } from "../../tests/cluster/kube.js";
import { worldLayout } from "../../tests/cluster/layout.js";
import { agentArguments, agentKubeconfig, chartAgentArgs } from "./agent-process.js";
import { ensureNodes } from "./hollow-node.js";
import { createPodNetwork, removePodNetwork } from "./pod-network/netns.js";
import { boxId, networkNames, type PodNetworkPlan } from "./pod-network/plan.js";
import { ip } from "../../tests/testenv/net/ip.js";
import { worldDown, worldUp, type World } from "../../tests/cluster/world/world.js";
import { down, ensureUp, stateLayout, status as boxStatus } from "../../tests/testenv/index.js";
import { JsonChild, type Message } from "../lib/child.js";
import { describeMachine, loadNow } from "../lib/machine.js";
import { NODE, bundle } from "../lib/paths.js";
import { cpuSeconds, memoryMiB } from "../lib/proc.js";
import { ensureTools } from "../lib/setup.js";
import { summarize } from "../lib/stats.js";
import { freePort, sleep } from "../lib/util.js";
import {
  WRITE_VERBS,
  auditOffset,
  countRequests,
  readAuditLines,
  type RequestCount,
} from "./audit.js";
import type { ClusterResults, RequestWindow } from "./result.js";
import { SliceWatch } from "./slice-watch.js";
import {
  BACKEND_PORT,
  BENCH_NAMESPACE,
  BENCH_NODE,
  PROBE,
  WORKLOAD,
  addressBatch,
  benchPods,
  benchSwhs,
  flipSet,
  type BenchPod,
} from "./workload.js";

/** Options of runCluster. */
export interface ClusterOptions {
  readonly quick: boolean;
  readonly steadySeconds: number;
  readonly keepCluster: boolean;
  readonly log: (line: string) => void;
}

/** A threshold crossing printed by the instrumented agent. */
interface Crossing {
  readonly address: string;
  readonly healthy: boolean;
  readonly at: number;
}

/** Everything running for the measurement. */
interface Rig {
  readonly world: World;
  readonly network: PodNetworkPlan;
  readonly auditLog: string;
  readonly pods: readonly BenchPod[];
  readonly targets: JsonChild;
  readonly agent: JsonChild;
  readonly watch: SliceWatch;
  readonly crossings: Crossing[];
}

/** The box the benchmark uses: its own state dir, so it never touches anybody else's box. */
function stateDir(): string {
  const home = process.env.HOME ?? "/root";
  return process.env.SWH_BENCH_TESTENV_DIR ?? join(home, ".cache", "swh-testenv", "run", "bench");
}

async function freshWorld(dir: string, log: (line: string) => void): Promise<World> {
  if (existsSync(worldLayout(dir).stateFile)) await worldDown(dir, log).catch(() => undefined);
  await down({ stateDir: dir, purge: true });
  // A pod network an interrupted run left behind.
  const names = networkNames(boxId(dir));
  await ip(["link", "del", names.vethRoot]).catch(() => undefined);
  await ip(["netns", "del", names.netns]).catch(() => undefined);
  log("cluster: starting the box with its audit log");
  await ensureUp({ stateDir: dir, audit: true });
  log("cluster: starting the module's control plane (operator, hooks, release)");
  return worldUp({ stateDir: dir, log: line => log(`cluster: ${line}`) });
}

async function until(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

async function startTargets(
  network: PodNetworkPlan,
  pods: readonly BenchPod[],
): Promise<JsonChild> {
  const { netns, vethPod } = network;
  execFileSync("ip", ["-n", netns, "-batch", "-"], { input: addressBatch(pods, vethPod, "add") });
  const config = { mode: "TCP", port: BACKEND_PORT, addresses: pods.map(p => p.address) };
  const targets = new JsonChild({
    file: "ip",
    args: ["netns", "exec", netns, NODE, bundle("targets"), JSON.stringify(config)],
    name: "backends",
  });
  const ready = await targets.next(m => m.event === "ready", 60_000);
  if (Number(ready.failed) > 0)
    throw new Error(`backends could not listen: ${String(ready.firstError)}`);
  return targets;
}

async function startAgent(world: World, crossings: Crossing[]): Promise<JsonChild> {
  const kubeconfig = await agentKubeconfig(world.layout.stateDir);
  const chartArgs = await chartAgentArgs(world.rest);
  const args = agentArguments(chartArgs, {
    node: BENCH_NODE.name,
    kubeconfig,
    healthPort: await freePort("127.0.0.1"),
    metricsPort: await freePort("127.0.0.1"),
  });
  const agent = new JsonChild({
    file: NODE,
    args: [bundle("cluster-agent"), ...args],
    name: "bench agent",
  });
  agent.onMessage = (message: Message): boolean => {
    if (message.event !== "cross") return false;
    crossings.push({
      address: String(message.address),
      healthy: message.healthy === true,
      at: Number(message.at),
    });
    return true;
  };
  await agent.next(m => m.event === "started", 120_000);
  return agent;
}

async function createWorkload(
  world: World,
  network: PodNetworkPlan,
  pods: readonly BenchPod[],
): Promise<void> {
  await ensureNodes(world.rest, network, [BENCH_NODE]);
  await apply(world.rest, `/api/v1/namespaces/${BENCH_NAMESPACE}`, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: BENCH_NAMESPACE },
  });
  for (const swh of benchSwhs()) {
    const name = (swh.metadata as { name: string }).name;
    await apply(
      world.rest,
      `/apis/network.deckhouse.io/v1alpha1/namespaces/${BENCH_NAMESPACE}/servicewithhealthchecks/${name}`,
      swh,
    );
  }
  const queue = [...pods];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let pod = queue.shift(); pod !== undefined; pod = queue.shift()) {
        await putPod(world.rest, {
          name: pod.name,
          namespace: BENCH_NAMESPACE,
          nodeName: BENCH_NODE.name,
          labels: { app: pod.app },
          ips: [pod.address],
        });
      }
    }),
  );
}

async function setUp(options: ClusterOptions): Promise<Rig> {
  const { log } = options;
  const dir = stateDir();
  const world = await freshWorld(dir, log);
  const network = await createPodNetwork(boxId(dir));
  const pods = benchPods(network.octet);
  const crossings: Crossing[] = [];
  log(`cluster: ${pods.length} backends in ${network.netns}, agent of ${BENCH_NODE.name}`);
  const targets = await startTargets(network, pods);
  const agent = await startAgent(world, crossings);
  const watch = new SliceWatch(world.rest, BENCH_NAMESPACE, BENCH_NODE.name);
  const rig: Rig = {
    world,
    network,
    auditLog: stateLayout(dir).auditLogFile,
    pods,
    targets,
    agent,
    watch,
    crossings,
  };
  try {
    await watch.start();
    await createWorkload(world, network, pods);
    await until(
      `${pods.length} ready endpoints`,
      240_000,
      () => watch.readyCount() === pods.length,
    );
  } catch (error) {
    await tearDown(rig, options);
    throw error;
  }
  return rig;
}

async function tearDown(rig: Rig, options: ClusterOptions): Promise<void> {
  await rig.watch.stop().catch(() => undefined);
  await rig.agent.stop();
  await rig.targets.stop();
  rig.world.rest.close();
  if (options.keepCluster) {
    options.log(`cluster: left running in ${rig.world.layout.stateDir}`);
    return;
  }
  await removePodNetwork(rig.network);
  await worldDown(rig.world.layout.stateDir, options.log);
  await down({ stateDir: rig.world.layout.stateDir, purge: true });
}

function window(rows: readonly RequestCount[], seconds: number): RequestWindow {
  const writesByResource: Record<string, number> = {};
  for (const row of rows) {
    if (WRITE_VERBS.has(row.verb))
      writesByResource[row.resource] = (writesByResource[row.resource] ?? 0) + row.count;
  }
  return { seconds, rows, writesByResource };
}

async function steadyState(rig: Rig, seconds: number, log: (line: string) => void) {
  log(`cluster: settling, then counting API requests over ${seconds} s of steady state`);
  await sleep(20_000);
  const offset = await auditOffset(rig.auditLog);
  const before = rig.watch.versions();
  const from = Date.now();
  const cpuFrom = cpuSeconds(rig.agent.pid);
  await sleep(seconds * 1000);
  const to = Date.now();
  const cpu = cpuSeconds(rig.agent.pid) - cpuFrom;
  const slicesUnchanged = JSON.stringify(before) === JSON.stringify(rig.watch.versions());
  await sleep(1_000);
  const rows = countRequests(await readAuditLines(rig.auditLog, offset), from, to);
  return {
    ...window(rows, (to - from) / 1000),
    slicesUnchanged,
    agentCpuCores: cpu / ((to - from) / 1000),
    agentRssMiB: memoryMiB(rig.agent.pid).rssMiB,
  };
}

/** Samples of one flip direction. */
interface Samples {
  readonly propagation: number[];
  readonly endToEnd: number[];
  missed: number;
}

function crossingAfter(
  rig: Rig,
  address: string,
  healthy: boolean,
  since: number,
): number | undefined {
  return rig.crossings.find(c => c.address === address && c.healthy === healthy && c.at >= since)
    ?.at;
}

/** Flips `addresses` to `healthy` (open or close their listeners) and times every transition. */
async function flip(
  rig: Rig,
  addresses: readonly string[],
  healthy: boolean,
  samples: Samples,
): Promise<void> {
  for (const address of addresses) rig.watch.forget(address, healthy);
  rig.crossings.length = 0;
  const reply = await rig.targets.request(
    { cmd: healthy ? "open" : "close", addresses },
    healthy ? "opened" : "closed",
  );
  const changedAt = Number(reply.at);
  const deadline =
    PROBE.periodSeconds * 1000 * (healthy ? PROBE.successThreshold : PROBE.failureThreshold) +
    10_000;
  await until("flipped endpoints in the slices", deadline, () =>
    addresses.every(a => rig.watch.is(a, healthy)),
  ).catch(() => undefined);
  for (const address of addresses) {
    const seen = rig.watch.seenAt(address, healthy);
    const crossed = crossingAfter(rig, address, healthy, changedAt);
    if (seen === undefined || crossed === undefined) {
      samples.missed += 1;
      continue;
    }
    samples.propagation.push(seen - crossed);
    samples.endToEnd.push(seen - changedAt);
  }
}

async function churn(rig: Rig, waves: number, perWave: number, log: (line: string) => void) {
  const down: Samples = { propagation: [], endToEnd: [], missed: 0 };
  const up: Samples = { propagation: [], endToEnd: [], missed: 0 };
  const offset = await auditOffset(rig.auditLog);
  const transitionsBefore = rig.watch.transitions();
  const from = Date.now();
  for (let wave = 0; wave < waves; wave++) {
    const addresses = flipSet(wave, perWave, rig.pods.length).map(k => rig.pods[k]?.address ?? "");
    await flip(rig, addresses, false, down);
    await flip(rig, addresses, true, up);
    log(`cluster: wave ${wave + 1}/${waves}: ${perWave} backends down and up again`);
  }
  // Let the last writes (slices, events, the status hook's rate-limited run) land.
  await sleep(5_000);
  const to = Date.now();
  await sleep(1_000);
  const rows = countRequests(await readAuditLines(rig.auditLog, offset), from, to);
  return {
    down,
    up,
    window: {
      ...window(rows, (to - from) / 1000),
      endpointTransitions: rig.watch.transitions() - transitionsBefore,
    },
  };
}

/** Runs the cluster part and returns its results. */
export async function runCluster(options: ClusterOptions): Promise<ClusterResults> {
  ensureTools(["ip", "jq"], options.log);
  if (process.getuid?.() !== 0)
    throw new Error("the cluster part needs root (network namespace, veth)");
  const startedAt = loadNow();
  const rig = await setUp(options);
  try {
    const kubernetes = (await boxStatus(rig.world.layout.stateDir)).versions.kubernetes;
    const steady = await steadyState(rig, options.steadySeconds, options.log);
    const waves = options.quick ? 3 : 10;
    const perWave = 50;
    const flips = await churn(rig, waves, perWave, options.log);
    const floorDownMs = PROBE.periodSeconds * 1000 * PROBE.failureThreshold;
    return {
      part: "cluster",
      quick: options.quick,
      machine: describeMachine(),
      kubernetes,
      method:
        "real agent (images/agent/src Agent + ProbeScheduler + TCP prober), real probes over a veth into " +
        "a pod network namespace, module running under the real addon-operator (tests/cluster), slices timed " +
        "by a list+watch in the benchmark process, requests counted in the kube-apiserver audit log",
      startedAt,
      finishedAt: loadNow(),
      workload: {
        targets: rig.pods.length,
        swhs: WORKLOAD.swhs,
        periodSeconds: PROBE.periodSeconds,
        failureThreshold: PROBE.failureThreshold,
        successThreshold: PROBE.successThreshold,
        waves,
        flipsPerWave: perWave,
      },
      propagation: {
        down: summarize(flips.down.propagation),
        up: summarize(flips.up.propagation),
        all: summarize([...flips.down.propagation, ...flips.up.propagation]),
      },
      endToEnd: {
        down: summarize(flips.down.endToEnd),
        up: summarize(flips.up.endToEnd),
        floorDownMs,
        floorUpMs: PROBE.periodSeconds * 1000 * PROBE.successThreshold,
      },
      samples: {
        propagationDown: flips.down.propagation,
        propagationUp: flips.up.propagation,
        endToEndDown: flips.down.endToEnd,
        endToEndUp: flips.up.endToEnd,
      },
      missed: flips.down.missed + flips.up.missed,
      steady,
      churn: flips.window,
    };
  } finally {
    await tearDown(rig, options);
  }
}
