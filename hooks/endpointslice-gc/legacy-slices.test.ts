// Tests for the hand-over of the Go implementation's slices, table-driven: when a legacy slice
// goes (its ready endpoints are ready in our agent's slices, it is empty, or our agent has held
// its Lease for the grace period) and when it stays (our agent is missing, dead, or has not yet
// published the same ready endpoints). Node names longer than a label value included.

import { nodeLabelValue } from "../../api/contract.js";
import {
  LEGACY_HANDOVER_GRACE_MS,
  legacyHandover,
  planLegacyHandover,
  readyAddressesBySwhAndNode,
} from "./legacy-slices.js";
import type { AgentHeartbeat } from "../lib/agent-leases.js";
import { filterEndpointSlice, type EndpointSliceSnapshot } from "../lib/agent-slices.js";

const NOW_MS = Date.UTC(2024, 4, 1, 10, 0, 0);
const LONG_NODE = `${"rack-17-".repeat(10)}worker.example.com`;

interface Ep {
  ip: string;
  ready: boolean;
}

/** A slice of SWH `web` in `prod` on `node`: ours (node-name label) or the Go agent's. */
function slice(
  kind: "ours" | "legacy",
  node: string,
  eps: Ep[],
  swh = "web",
): EndpointSliceSnapshot {
  const labels: Record<string, string> = {
    "kubernetes.io/service-name": swh,
    "endpointslice.kubernetes.io/managed-by": "servicewithhealthchecks",
  };
  if (kind === "ours") labels["network.deckhouse.io/node-name"] = nodeLabelValue(node);
  const snap = filterEndpointSlice({
    metadata: {
      name: kind === "ours" ? `${swh}-${node.slice(0, 20)}-1a2b3c4d` : `${swh}-${node}`,
      namespace: "prod",
      labels,
      ownerReferences: [
        { kind: "ServiceWithHealthchecks", name: swh, uid: `uid-${swh}`, controller: true },
      ],
    },
    endpoints: eps.map((e, i) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready, serving: e.ready, terminating: false },
      nodeName: node,
      targetRef: { kind: "Pod", name: `${swh}-${i}` },
    })),
  });
  if (snap === undefined) throw new Error("fixture slice did not pass the filter");
  return snap;
}

/** Heartbeat of an agent alive until NOW + 30 s, holding its Lease since `heldForMs`. */
function alive(heldForMs?: number): AgentHeartbeat {
  return {
    expiresAtMs: NOW_MS + 30_000,
    durationMs: 40_000,
    ...(heldForMs === undefined ? {} : { acquiredAtMs: NOW_MS - heldForMs }),
  };
}

const DEAD: AgentHeartbeat = {
  expiresAtMs: NOW_MS - 1,
  acquiredAtMs: NOW_MS - 3_600_000,
  durationMs: 40_000,
};

const TWO_READY = [
  { ip: "10.0.0.1", ready: true },
  { ip: "10.0.0.2", ready: true },
];

describe("legacyHandover", () => {
  const legacy = slice("legacy", "node-a", TWO_READY);

  it.each([
    // our agent publishes both endpoints ready: deleting the Go slice changes nothing
    ["ours ready", [slice("ours", "node-a", TWO_READY)], alive(1000), "LegacyReplaced"],
    // our agent still probes one endpoint (not ready yet): the Go slice keeps it serving
    [
      "ours pending",
      [slice("ours", "node-a", [TWO_READY[0]!, { ip: "10.0.0.2", ready: false }])],
      alive(1000),
      undefined,
    ],
    // our agent has not published for this SWH yet
    ["ours missing", [], alive(1000), undefined],
    // our slices for another SWH or another node do not count
    [
      "other SWH or node",
      [slice("ours", "node-a", TWO_READY, "db"), slice("ours", "node-b", TWO_READY)],
      alive(1000),
      undefined,
    ],
    // after the grace period our agent's slices are the truth, whatever they say
    ["grace over", [], alive(LEGACY_HANDOVER_GRACE_MS), "LegacyReplaced"],
    ["grace almost over", [], alive(LEGACY_HANDOVER_GRACE_MS - 1), undefined],
    // a Lease without acquireTime: only the ready endpoints can hand over
    ["no acquire time", [], alive(), undefined],
    // no agent of ours on the node (rollout not there yet): kept, never fenced either
    ["no agent", [slice("ours", "node-a", TWO_READY)], undefined, undefined],
    // our agent there is dead: kept (fencing takes care of it)
    ["agent dead", [slice("ours", "node-a", TWO_READY)], DEAD, undefined],
  ] as const)("%s", (_case, ours, heartbeat, expected) => {
    const context = {
      ourReady: readyAddressesBySwhAndNode([legacy, ...ours]),
      heartbeats: new Map(heartbeat === undefined ? [] : [["node-a", heartbeat]]),
      nowMs: NOW_MS,
    };
    expect(legacyHandover(legacy, context)).toBe(expected);
  });

  it.each([
    // nothing listed: nothing to hand over, even with no agent at all
    ["empty", slice("legacy", "node-a", []), "LegacyEmpty"],
    // only not-ready endpoints: they carry no traffic, our agent is alive
    ["none ready", slice("legacy", "node-a", [{ ip: "10.0.0.1", ready: false }]), "LegacyReplaced"],
  ] as const)("%s legacy slice", (_case, legacySlice, expected) => {
    const context = {
      ourReady: new Map(),
      heartbeats: new Map([["node-a", alive(0)]]),
      nowMs: NOW_MS,
    };
    expect(legacyHandover(legacySlice, context)).toBe(expected);
  });

  it("matches a node whose name is longer than a label value", () => {
    const longLegacy = slice("legacy", LONG_NODE, TWO_READY);
    const ours = slice("ours", LONG_NODE, TWO_READY);
    expect(ours.nodeName).toBe(nodeLabelValue(LONG_NODE));
    expect(longLegacy.nodeName).toBe(LONG_NODE);
    const context = {
      ourReady: readyAddressesBySwhAndNode([longLegacy, ours]),
      heartbeats: new Map([[nodeLabelValue(LONG_NODE), alive(1000)]]),
      nowMs: NOW_MS,
    };
    expect(legacyHandover(longLegacy, context)).toBe("LegacyReplaced");
  });
});

describe("readyAddressesBySwhAndNode", () => {
  it("collects our slices' ready addresses per SWH and node, never the legacy ones", () => {
    const ready = readyAddressesBySwhAndNode([
      slice("ours", "node-a", [TWO_READY[0]!, { ip: "10.0.0.3", ready: false }]),
      slice("ours", "node-a", [TWO_READY[1]!]),
      slice("legacy", "node-b", TWO_READY),
    ]);
    expect([...ready].map(([key, set]) => [key.replace("\u0000", " @ "), [...set]])).toEqual([
      ["prod/web @ node-a", ["10.0.0.1", "10.0.0.2"]],
    ]);
  });
});

describe("planLegacyHandover", () => {
  it("returns only legacy slices, in order, with their reasons", () => {
    const ours = slice("ours", "node-a", TWO_READY);
    const handedOver = slice("legacy", "node-a", TWO_READY);
    const waiting = slice("legacy", "node-b", TWO_READY);
    const empty = slice("legacy", "node-c", []);
    const heartbeats = new Map([
      ["node-a", alive(1000)],
      ["node-b", alive(1000)],
    ]);
    const plan = planLegacyHandover([ours, handedOver, waiting, empty], heartbeats, NOW_MS);
    expect(plan.map(d => `${d.slice.name}:${d.reason}`)).toEqual([
      "web-node-a:LegacyReplaced",
      "web-node-c:LegacyEmpty",
    ]);
  });

  it("does nothing without legacy slices", () => {
    const ours = slice("ours", "node-a", TWO_READY);
    expect(planLegacyHandover([ours], new Map(), NOW_MS)).toEqual([]);
  });
});
