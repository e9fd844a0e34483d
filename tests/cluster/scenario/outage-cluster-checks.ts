// What the cluster around the module did through an API server outage, checked the same way in
// both outage scenarios. Real nodes talk to the API server too: kubelets cannot report, so once it
// is back the node lifecycle controller (kube-controller-manager, which lost it as well) may find
// every node's heartbeat stale, mark the nodes Unknown, taint them unreachable and mark their pods
// not ready, until the kubelets report again. Asserted: no pod evicted, deleted, recreated or
// restarted (the agent pods and the workload's, as watched through the outage), the nodes Ready
// and untainted again, and the kubelets' own probe counters show they saw the agents not ready
// (/readyz failing while the Lease could not be renewed) and never failed a liveness probe, so
// they restarted nothing. What the node lifecycle controller did is returned, not asserted: it
// depends on whose update reaches the API server first after the outage.
import { expect } from "@jest/globals";
import type { World } from "../world/handle.js";
import type { PodView } from "./cluster-view.js";
import { agentProbeCounts, type ProbeCounts } from "./kubelet-probes.js";
import type { ObjectRecorder } from "./object-recorder.js";
import type { OutageBaseline } from "./outage-checks.js";
import { recordMeasurement } from "./report.js";
import { eventually } from "../../e2e/support/eventually.js";

/** What the node lifecycle controller and the kubelets did, as seen through the outage. */
export interface ClusterOutcome {
  /** Nodes whose Ready condition went Unknown or False. */
  readonly nodesNotReady: readonly string[];
  /** Taints nodes carried meanwhile, `node key:effect`. */
  readonly taints: readonly string[];
  /** Pods whose Ready condition went False (agent pods and the workload's). */
  readonly podsNotReady: readonly string[];
  /** Failed readiness probes of the agent containers, all kubelets together. */
  readonly readinessFailures: number;
}

/** The parts of a pod that change only when it is evicted, recreated or restarted. */
function identity(view: PodView | undefined): Omit<PodView, "ready"> | undefined {
  return (
    view && { uid: view.uid, node: view.node, restarts: view.restarts, deleting: view.deleting }
  );
}

/** Changes since `from` that are not the pod as it was at the baseline (`before`). */
function disturbances(
  recorder: ObjectRecorder<PodView>,
  before: ReadonlyMap<string, PodView>,
  from: number,
): unknown[] {
  return recorder
    .changesSince(from)
    .filter(c => JSON.stringify(identity(c.view)) !== JSON.stringify(identity(before.get(c.name))))
    .map(c => ({ pod: c.name, sinceFromMs: c.at - from, now: c.view }));
}

const delta = (before: ProbeCounts, after: ProbeCounts, key: string): number =>
  (after[key] ?? 0) - (before[key] ?? 0);

/**
 * Asserts nothing was evicted, recreated or restarted since `from`, and the nodes are Ready and
 * untainted again (waiting for their kubelets' next status update); asserts the kubelets failed readiness probes of every agent since the baseline
 * and no liveness probe. Returns what the cluster went through (see ClusterOutcome).
 */
export async function expectPodsUndisturbed(
  world: World,
  base: OutageBaseline,
  from: number,
): Promise<ClusterOutcome> {
  const { agents, apps, nodes } = base.cluster;
  expect([
    ...disturbances(agents, base.clusterBefore.agents, from),
    ...disturbances(apps, base.clusterBefore.apps, from),
  ]).toEqual([]);
  expect([...agents.current().keys()].sort()).toEqual([...base.clusterBefore.agents.keys()].sort());
  expect([...apps.current().keys()].sort()).toEqual([...base.clusterBefore.apps.keys()].sort());
  // The node lifecycle controller may have marked a node Unknown when the API server came back,
  // before its kubelet's next status update: the kubelet puts it right within its update period.
  await eventually(
    "every node Ready and untainted again",
    () => {
      const notReady = [...nodes.current()].filter(
        ([, v]) => v.ready !== "True" || v.taints.length > 0,
      );
      expect(notReady).toEqual([]);
      return Promise.resolve();
    },
    60_000,
    250,
  );
  const after = await agentProbeCounts(world.layout.stateDir, base.agentsBefore);
  const probes = base.agentsBefore.map((a, i) => {
    const before = base.kubeletProbesBefore[i] ?? {};
    const now = after[i] ?? {};
    return {
      node: a.node,
      readinessFailed: delta(before, now, "Readiness/failed"),
      livenessFailed: delta(before, now, "Liveness/failed"),
    };
  });
  expect(probes.filter(p => p.readinessFailed === 0 || p.livenessFailed !== 0)).toEqual([]);
  const nodeChanges = nodes.changesSince(from);
  const podChanges = [...agents.changesSince(from), ...apps.changesSince(from)];
  return {
    nodesNotReady: [
      ...new Set(nodeChanges.filter(c => c.view?.ready !== "True").map(c => c.name)),
    ].sort(),
    taints: [
      ...new Set(nodeChanges.flatMap(c => (c.view?.taints ?? []).map(t => `${c.name} ${t}`))),
    ].sort(),
    podsNotReady: [
      ...new Set(podChanges.filter(c => c.view?.ready === "False").map(c => c.name)),
    ].sort(),
    readinessFailures: probes.reduce((sum, p) => sum + p.readinessFailed, 0),
  };
}

/** Prints a ClusterOutcome and records its counts as `<prefix>.<name>` measurements. */
export async function recordOutcome(
  prefix: string,
  seen: ClusterOutcome,
  outage: string,
): Promise<void> {
  process.stdout.write(
    `after ${outage}: nodes not ready ${JSON.stringify(seen.nodesNotReady)}, taints ${JSON.stringify(seen.taints)}, pods marked not ready ${JSON.stringify(seen.podsNotReady)}, agent readiness probes failed by the kubelets ${seen.readinessFailures}; nothing evicted or restarted\n`,
  );
  const counts: Array<[string, number, string]> = [
    [
      "nodesNotReady",
      seen.nodesNotReady.length,
      "nodes the node lifecycle controller marked Unknown/NotReady",
    ],
    [
      "podsMarkedNotReady",
      seen.podsNotReady.length,
      "pods (3 agents, 3 app pods) whose Ready condition went False",
    ],
    [
      "agentReadinessProbeFailures",
      seen.readinessFailures,
      "failed kubelet readiness probes of the 3 agent containers (/readyz 503 while the Lease could not be renewed)",
    ],
  ];
  for (const [name, value, what] of counts) {
    await recordMeasurement({
      name: `${prefix}.${name}`,
      value,
      unit: "count",
      description: `${what}, over ${outage} and until every node reported again; no pod was evicted or restarted`,
    });
  }
}
