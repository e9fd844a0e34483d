// Tests for the EndpointSlice GC + fencing hook: the GC planner table-driven over snapshot
// fixtures, and whole hook runs (snapshots in, operations and metrics out) through the hook
// library's test runner, checking that slices that are fine are never touched, that nodes with
// names longer than a label value are matched, and that the Go implementation's slices and
// kube-controller-manager's leftovers of adopted Services are handed over without a gap.

import { type PatchOperation } from "shell-operator-ts-hooks";
import {
  runHookForTest,
  toShellOperatorConfig,
  validateShellOperatorConfig,
} from "shell-operator-ts-hooks/testing";
import { leaseNameForNode, nodeLabelValue } from "../../api/contract.js";
import { filterLease } from "../lib/agent-leases.js";
import { filterEndpointSlice, type EndpointSliceSnapshot } from "../lib/agent-slices.js";
import { filterObjectIdentity, type ObjectIdentity } from "../lib/object-identity.js";
import { GC_METRICS } from "./apply.js";
import { endpointsliceGcHook } from "./hook.js";
import { ownerProblem, planGc, planGcAndFencing } from "./plan.js";

const NOW = new Date("2024-05-01T10:00:00Z");
const SWH_KIND = "ServiceWithHealthchecks";

/** A full SWH object (only identity matters to this hook). */
function rawSwh(namespace: string, name: string, uid: string) {
  return {
    apiVersion: "network.deckhouse.io/v1alpha1",
    kind: SWH_KIND,
    metadata: { name, namespace, uid, generation: 1 },
    spec: { selector: { app: name }, ports: [{ port: 80 }] },
  };
}

function rawNode(name: string) {
  return { apiVersion: "v1", kind: "Node", metadata: { name, uid: `node-${name}` } };
}

/** A time `agoSeconds` before NOW, as the API server writes it. */
function ago(agoSeconds: number): string {
  return new Date(NOW.getTime() - agoSeconds * 1000).toISOString();
}

/**
 * A full agent Lease renewed `agoSeconds` before NOW with a 30 s duration, as the agent writes
 * it (holder = node name, label = nodeLabelValue), held since `heldForSeconds` before NOW.
 */
function rawLease(node: string, agoSeconds: number, heldForSeconds = 3600) {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name: leaseNameForNode(node),
      namespace: "d8-service-with-healthchecks",
      labels: {
        "network.deckhouse.io/component": "swh-agent-heartbeat",
        "network.deckhouse.io/node-name": nodeLabelValue(node),
      },
    },
    spec: {
      holderIdentity: node,
      leaseDurationSeconds: 30,
      renewTime: ago(agoSeconds),
      acquireTime: ago(heldForSeconds),
    },
  };
}

interface SliceOptions {
  ownerUid?: string | undefined;
  serviceName?: string | undefined;
  ready?: boolean;
  /** The Go implementation's slice: no node-name label. */
  legacy?: boolean;
  address?: string;
}

/**
 * A full agent slice in `namespace` with one endpoint on `node`, labelled like the agent does
 * (node-name = nodeLabelValue(node)), or like the Go agent did when `legacy`.
 */
function rawSlice(namespace: string, name: string, node: string, opts: SliceOptions = {}) {
  const labels: Record<string, string> = {
    "endpointslice.kubernetes.io/managed-by": "servicewithhealthchecks",
  };
  if (opts.legacy !== true) labels["network.deckhouse.io/node-name"] = nodeLabelValue(node);
  if (opts.serviceName !== undefined) labels["kubernetes.io/service-name"] = opts.serviceName;
  const ownerReferences =
    opts.ownerUid === undefined
      ? []
      : [
          {
            apiVersion: "network.deckhouse.io/v1alpha1",
            kind: SWH_KIND,
            name: opts.serviceName ?? "x",
            uid: opts.ownerUid,
            controller: true,
          },
        ];
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name, namespace, labels, ownerReferences },
    addressType: "IPv4",
    endpoints: [
      {
        addresses: [opts.address ?? "10.0.0.1"],
        conditions: { ready: opts.ready ?? true, serving: opts.ready ?? true },
        nodeName: node,
        targetRef: { kind: "Pod", name: `${name}-pod`, namespace },
      },
    ],
  };
}

function snap(raw: unknown): EndpointSliceSnapshot {
  const s = filterEndpointSlice(raw);
  if (s === undefined) throw new Error("fixture slice did not pass the filter");
  return s;
}

function ident(raw: unknown): ObjectIdentity {
  const s = filterObjectIdentity(raw);
  if (s === undefined) throw new Error("fixture object did not pass the filter");
  return s;
}

const SWHS = [rawSwh("prod", "web", "uid-web"), rawSwh("prod", "db", "uid-db")].map(ident);
const NODES = [rawNode("node-a"), rawNode("node-b")].map(ident);

describe("ownerProblem", () => {
  const uids = new Set(SWHS.map(s => s.uid!));
  const byKey = new Map(SWHS.map(s => [`${s.namespace}/${s.name}`, s.uid]));

  it.each([
    // owner reference to an existing SWH
    [{ ownerUid: "uid-web", serviceName: "web" }, undefined],
    // owner reference to a deleted SWH, no SWH of that name any more
    [{ ownerUid: "uid-gone", serviceName: "gone" }, "OwnerMissing"],
    // owner reference to a deleted SWH whose name was reused by a new SWH
    [{ ownerUid: "uid-old-web", serviceName: "web" }, "OwnerReplaced"],
    // no owner reference (Go-era slice), service-name label names an existing SWH
    [{ serviceName: "db" }, undefined],
    // no owner reference, label names a missing SWH
    [{ serviceName: "gone" }, "OwnerMissing"],
    // neither owner nor label: belongs to nobody
    [{}, "Unowned"],
  ])("slice %j: %s", (opts, expected) => {
    expect(ownerProblem(snap(rawSlice("prod", "s", "node-a", opts)), uids, byKey)).toBe(expected);
  });

  it("matches the service-name label within the slice's own namespace only", () => {
    const other = snap(rawSlice("staging", "s", "node-a", { serviceName: "web" }));
    expect(ownerProblem(other, uids, byKey)).toBe("OwnerMissing");
  });
});

describe("planGc", () => {
  const keep = snap(
    rawSlice("prod", "web-node-a", "node-a", { ownerUid: "uid-web", serviceName: "web" }),
  );
  const ownerGone = snap(
    rawSlice("prod", "old-node-a", "node-a", { ownerUid: "uid-old", serviceName: "old" }),
  );
  const nodeGone = snap(
    rawSlice("prod", "web-node-z", "node-z", { ownerUid: "uid-web", serviceName: "web" }),
  );

  it.each([
    // everything exists: nothing to delete
    ["all present", [keep], NODES, []],
    // the SWH is gone
    ["SWH gone", [keep, ownerGone], NODES, ["old-node-a:OwnerMissing"]],
    // the node is gone
    ["node gone", [keep, nodeGone], NODES, ["web-node-z:NodeMissing"]],
    // an empty Node snapshot means a broken watch, not a cluster without nodes: keep slices
    ["no Node snapshot", [keep, nodeGone], [], []],
  ])("%s: deletes %j", (_case, slices, nodes, expected) => {
    const plan = planGc({ slices, swhs: SWHS, nodes });
    expect(plan.map(d => `${d.slice.name}:${d.reason}`)).toEqual(expected);
  });

  it("matches slices and Nodes whose names are longer than a label value", () => {
    const longNode = `${"n".repeat(70)}.example.com`;
    const nodes = [...NODES, ident(rawNode(longNode))];
    const web = { ownerUid: "uid-web", serviceName: "web" };
    const ours = snap(rawSlice("prod", "web-long", longNode, web));
    const legacy = snap(rawSlice("prod", "web-long-go", longNode, { ...web, legacy: true }));
    expect(ours.nodeName).toBe(nodeLabelValue(longNode));
    expect(legacy.nodeName).toBe(longNode);
    expect(planGc({ slices: [ours, legacy], swhs: SWHS, nodes })).toEqual([]);
    // ...and the node really going away still collects both.
    const gone = planGc({ slices: [ours, legacy], swhs: SWHS, nodes: NODES });
    expect(gone.map(d => `${d.slice.name}:${d.reason}`)).toEqual([
      "web-long:NodeMissing",
      "web-long-go:NodeMissing",
    ]);
  });

  it("deletes everything when no SWH exists any more", () => {
    const plan = planGc({ slices: [keep, ownerGone], swhs: [], nodes: NODES });
    expect(plan.map(d => d.slice.name)).toEqual(["web-node-a", "old-node-a"]);
  });
});

describe("endpointslice-gc hook", () => {
  const web = { ownerUid: "uid-web", serviceName: "web" };
  const baseSnapshots = {
    swhs: [rawSwh("prod", "web", "uid-web"), rawSwh("prod", "db", "uid-db")],
    nodes: [rawNode("node-a"), rawNode("node-b")],
    leases: [rawLease("node-a", 5), rawLease("node-b", 5)],
  };

  function sliceOps(ops: readonly PatchOperation[]): string[] {
    return ops.map(op =>
      "name" in op ? `${op.operation} ${op.namespace}/${op.name}` : op.operation,
    );
  }

  it("writes nothing when every slice is owned, on a live node", async () => {
    const result = await runHookForTest(endpointsliceGcHook, {
      now: NOW,
      snapshots: {
        ...baseSnapshots,
        slices: [
          rawSlice("prod", "web-node-a", "node-a", web),
          rawSlice("prod", "web-node-b", "node-b", web),
        ],
      },
    });
    expect(result.operations).toEqual([]);
  });

  it("deletes orphans in the background and fences a dead agent's slices, once", async () => {
    const result = await runHookForTest(endpointsliceGcHook, {
      now: NOW,
      snapshots: {
        ...baseSnapshots,
        // node-b's agent last renewed 60 s ago with a 30 s Lease: dead.
        leases: [rawLease("node-a", 5), rawLease("node-b", 60)],
        slices: [
          rawSlice("prod", "web-node-a", "node-a", web),
          rawSlice("prod", "web-node-b", "node-b", web),
          rawSlice("prod", "gone-node-a", "node-a", { ownerUid: "uid-gone", serviceName: "gone" }),
          // Owner gone AND on a dead node: deleted, not fenced.
          rawSlice("prod", "gone-node-b", "node-b", { ownerUid: "uid-gone", serviceName: "gone" }),
        ],
      },
    });
    expect(sliceOps(result.operations)).toEqual([
      "DeleteInBackground prod/gone-node-a",
      "DeleteInBackground prod/gone-node-b",
      "JQPatch prod/web-node-b",
    ]);
    expect(result.operations[0]).toEqual({
      operation: "DeleteInBackground",
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      namespace: "prod",
      name: "gone-node-a",
    });
    expect(result.operations[2]).toMatchObject({
      operation: "JQPatch",
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      ignoreMissingObject: true,
    });
    // One log line per dead node and per GC reason, not one per slice.
    expect(result.logs.filter(l => l.level === "warn")).toEqual([
      expect.objectContaining({ node: "node-b", reason: "LeaseExpired", count: 1 }),
    ]);
    expect(result.logs.filter(l => l.level === "info")).toEqual([
      expect.objectContaining({ reason: "OwnerMissing", count: 2 }),
    ]);
    const names = result.metrics.map(m => m.name);
    expect(names).toContain(GC_METRICS.deleted);
    expect(names).toContain(GC_METRICS.fenced);
    expect(result.metrics).toContainEqual(
      expect.objectContaining({
        name: GC_METRICS.deadAgent,
        action: "set",
        value: 1,
        labels: { node: "node-b", reason: "LeaseExpired" },
      }),
    );
    expect(result.metrics).toContainEqual(
      expect.objectContaining({ name: GC_METRICS.fencingSuspended, action: "set", value: 0 }),
    );
  });

  it("fences nothing, and says so, while no agent has renewed within half its Lease duration", async () => {
    // An API server freeze seen by the hook: a's Lease (renewed 20 s ago) has not expired, b's
    // (31 s ago) has, but neither was renewed in the last 15 s, half the 30 s Lease duration,
    // which no live agent allows (the settings keep renewals at most half a duration apart).
    const slices = [rawSlice("prod", "web-node-b", "node-b", web)];
    const result = await runHookForTest(endpointsliceGcHook, {
      now: NOW,
      snapshots: {
        ...baseSnapshots,
        leases: [rawLease("node-a", 20), rawLease("node-b", 31)],
        slices,
      },
    });
    expect(result.operations).toEqual([]);
    expect(result.logs.filter(l => l.level === "warn")).toEqual([
      expect.objectContaining({ msg: expect.stringContaining("fencing suspended") }),
    ]);
    expect(result.metrics).toContainEqual(
      expect.objectContaining({ name: GC_METRICS.fencingSuspended, action: "set", value: 1 }),
    );
  });

  it("does not patch a dead agent's slice that is already fenced", async () => {
    const fenced = rawSlice("prod", "web-node-b", "node-b", { ...web, ready: false });
    const annotated = {
      ...fenced,
      metadata: { ...fenced.metadata, annotations: { "network.deckhouse.io/fenced-at": "x" } },
    };
    const result = await runHookForTest(endpointsliceGcHook, {
      now: NOW,
      snapshots: { ...baseSnapshots, leases: [rawLease("node-a", 5)], slices: [annotated] },
    });
    expect(result.operations).toEqual([]);
  });

  it("fences the last live agent's death although a deleted node's Lease is still there", async () => {
    // node-b was removed from the cluster long ago; nothing deletes its Lease. node-a's agent
    // just died: two silent Leases, but only one of a node that exists, so this is no outage.
    const slices = [rawSlice("prod", "web-node-a", "node-a", web)];
    const result = await runHookForTest(endpointsliceGcHook, {
      now: NOW,
      snapshots: {
        ...baseSnapshots,
        nodes: [rawNode("node-a")],
        leases: [rawLease("node-a", 31), rawLease("node-b", 86_400)],
        slices,
      },
    });
    expect(result.operations.map(op => op.operation)).toEqual(["JQPatch"]);
    expect(result.metrics).toContainEqual(
      expect.objectContaining({ name: GC_METRICS.fencingSuspended, value: 0 }),
    );
  });

  it("fences once the Lease duration has passed, not before", async () => {
    const slices = [rawSlice("prod", "web-node-a", "node-a", web)];
    const at = async (agoSeconds: number) =>
      (
        await runHookForTest(endpointsliceGcHook, {
          now: NOW,
          snapshots: { ...baseSnapshots, leases: [rawLease("node-a", agoSeconds)], slices },
        })
      ).operations.length;
    expect(await at(30)).toBe(0);
    expect(await at(31)).toBe(1);
  });
});

describe("nodes with names longer than a label value", () => {
  const longNode = `${"worker-".repeat(12)}b.example.com`;
  const web = { ownerUid: "uid-web", serviceName: "web" };
  const snapshots = (leases: unknown[]) => ({
    swhs: [rawSwh("prod", "web", "uid-web")],
    nodes: [rawNode("node-a"), rawNode(longNode)],
    leases,
    slices: [rawSlice("prod", "web-long", longNode, web)],
  });

  it("neither collects nor fences the slices of a live agent", async () => {
    const result = await runHookForTest(endpointsliceGcHook, {
      now: NOW,
      snapshots: snapshots([rawLease(longNode, 5)]),
    });
    expect(result.operations).toEqual([]);
  });

  it("fences them once that agent's Lease expires", async () => {
    const result = await runHookForTest(endpointsliceGcHook, {
      now: NOW,
      snapshots: snapshots([rawLease(longNode, 60)]),
    });
    expect(result.operations.map(op => op.operation)).toEqual(["JQPatch"]);
  });
});

describe("legacy slices of the Go implementation", () => {
  const web = { ownerUid: "uid-web", serviceName: "web" };
  const base = {
    swhs: [rawSwh("prod", "web", "uid-web")].map(ident),
    nodes: NODES,
  };
  const legacyA = rawSlice("prod", "web-node-a", "node-a", { ...web, legacy: true });
  const oursA = rawSlice("prod", "web-node-a-1a2b3c4d", "node-a", web);
  const pendingA = rawSlice("prod", "web-node-a-1a2b3c4d", "node-a", { ...web, ready: false });

  function plan(slices: unknown[], leases: unknown[]): string[] {
    const result = planGcAndFencing(
      {
        ...base,
        slices: slices.map(snap),
        leases: leases.map(l => filterLease(l)!),
      },
      NOW,
    );
    return [
      ...result.delete.map(d => `delete ${d.slice.name}:${d.reason}`),
      ...result.fencing.fence.map(f => `fence ${f.slice.name}:${f.reason}`),
    ];
  }

  it.each([
    // migration just started on node-a: no agent of ours yet - the Go slice keeps serving
    ["no agent yet", [legacyA], [], []],
    // our agent is up but still probing: both stay, nothing is fenced
    ["agent probing", [legacyA, pendingA], [rawLease("node-a", 1, 20)], []],
    // our agent publishes the same endpoint ready: the Go slice goes
    [
      "agent caught up",
      [legacyA, oursA],
      [rawLease("node-a", 1, 20)],
      ["delete web-node-a:LegacyReplaced"],
    ],
    // our agent has run for the grace period: its slices are the truth
    [
      "grace period over",
      [legacyA, pendingA],
      [rawLease("node-a", 1, 600)],
      ["delete web-node-a:LegacyReplaced"],
    ],
    // our agent ran and died before catching up: both are fenced
    [
      "agent died",
      [legacyA, pendingA],
      [rawLease("node-a", 60, 120)],
      ["fence web-node-a:LeaseExpired", "fence web-node-a-1a2b3c4d:LeaseExpired"],
    ],
    // the SWH is gone: collected as any orphan, whatever the agent does
    [
      "SWH gone",
      [
        rawSlice("prod", "old-node-a", "node-a", {
          ownerUid: "uid-old",
          serviceName: "old",
          legacy: true,
        }),
      ],
      [],
      ["delete old-node-a:OwnerMissing"],
    ],
  ])("%s", (_case, slices, leases, expected) => {
    expect(plan(slices, leases)).toEqual(expected);
  });

  it("deletes a handed-over slice through the hook and logs the reason once", async () => {
    const result = await runHookForTest(endpointsliceGcHook, {
      now: NOW,
      snapshots: {
        swhs: [rawSwh("prod", "web", "uid-web")],
        nodes: [rawNode("node-a"), rawNode("node-b")],
        leases: [rawLease("node-a", 1, 20)],
        slices: [legacyA, oursA],
      },
    });
    expect(result.operations).toEqual([
      {
        operation: "DeleteInBackground",
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        namespace: "prod",
        name: "web-node-a",
      },
    ]);
    expect(result.logs.filter(l => l.level === "info")).toEqual([
      expect.objectContaining({ reason: "LegacyReplaced", count: 1 }),
    ]);
    expect(result.metrics).toContainEqual(
      expect.objectContaining({
        name: GC_METRICS.deleted,
        value: 1,
        labels: { reason: "LegacyReplaced" },
      }),
    );
  });
});

describe("kube-controller-manager leftovers of adopted Services", () => {
  /** A slice the endpointslice controller left, marked by the child-service hook `agoSeconds` ago. */
  function rawLeftover(name: string, agoSeconds: number, mirror = false) {
    return {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name,
        namespace: "prod",
        labels: {
          "kubernetes.io/service-name": "web",
          "endpointslice.kubernetes.io/managed-by": mirror
            ? "endpointslicemirroring-controller.k8s.io"
            : "endpointslice-controller.k8s.io",
          ...(mirror ? { "endpoints.kubernetes.io/managed-by": "endpoint-controller" } : {}),
          "network.deckhouse.io/replaced-by": "uid-web",
        },
        annotations: { "network.deckhouse.io/replaced-at": ago(agoSeconds) },
      },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.0.0.1"], conditions: { ready: true } }],
    };
  }
  const web = { ownerUid: "uid-web", serviceName: "web" };
  const snapshots = (agentReady: boolean, markedAgo = 5) => ({
    swhs: [rawSwh("prod", "web", "uid-web")],
    nodes: [rawNode("node-a")],
    leases: [rawLease("node-a", 1)],
    slices: [rawSlice("prod", "web-node-a-1a2b3c4d", "node-a", { ...web, ready: agentReady })],
    leftovers: [rawLeftover("web-abcde", markedAgo), rawLeftover("web-mirror", markedAgo, true)],
  });

  it("keeps them while the agents do not serve the same endpoints yet", async () => {
    const result = await runHookForTest(endpointsliceGcHook, {
      now: NOW,
      snapshots: snapshots(false),
    });
    expect(result.operations).toEqual([]);
  });

  it("deletes the Endpoints and the slices once the agents serve them, and counts the slices", async () => {
    const result = await runHookForTest(endpointsliceGcHook, {
      now: NOW,
      snapshots: snapshots(true),
    });
    const del = (apiVersion: string, kind: string, name: string) => ({
      operation: "DeleteInBackground",
      apiVersion,
      kind,
      namespace: "prod",
      name,
    });
    expect(result.operations).toEqual([
      del("v1", "Endpoints", "web"),
      del("discovery.k8s.io/v1", "EndpointSlice", "web-abcde"),
      del("discovery.k8s.io/v1", "EndpointSlice", "web-mirror"),
    ]);
    expect(result.logs).toContainEqual(
      expect.objectContaining({ reason: "LeftoverReplaced", count: 3 }),
    );
    expect(result.metrics).toContainEqual(
      expect.objectContaining({
        name: GC_METRICS.deleted,
        value: 2,
        labels: { reason: "LeftoverReplaced" },
      }),
    );
  });

  it("keeps them when the agents' slice that would replace them is fenced in the same run", async () => {
    // node-a's agent is dead (its 30 s Lease ran out) and node-b's is alive, so fencing is on:
    // the ready endpoint of node-a's slice is about to be withdrawn and vouches for nothing.
    const result = await runHookForTest(endpointsliceGcHook, {
      now: NOW,
      snapshots: {
        ...snapshots(true),
        nodes: [rawNode("node-a"), rawNode("node-b")],
        leases: [rawLease("node-a", 31), rawLease("node-b", 1)],
      },
    });
    expect(result.operations.map(op => op.operation)).toEqual(["JQPatch"]);
  });

  it("deletes them after the grace period even when the agents do not serve them", async () => {
    const result = await runHookForTest(endpointsliceGcHook, {
      now: NOW,
      snapshots: snapshots(false, 600),
    });
    expect(result.operations).toHaveLength(3);
    expect(result.logs).toContainEqual(expect.objectContaining({ reason: "LeftoverExpired" }));
  });

  it("watches only marked slices, snapshot-only, with a valid config", () => {
    const config = toShellOperatorConfig(endpointsliceGcHook);
    expect(validateShellOperatorConfig(config, "addon-operator-module")).toEqual([]);
    expect(config.kubernetes).toContainEqual(
      expect.objectContaining({
        name: "leftovers",
        kind: "EndpointSlice",
        labelSelector: {
          matchExpressions: [{ key: "network.deckhouse.io/replaced-by", operator: "Exists" }],
        },
        executeHookOnEvent: [],
      }),
    );
  });
});
