// Tests for the GC hook's hand-over of kube-controller-manager's leftovers: marked objects of an
// SWH are deleted together (Endpoints first) only when that removes no ready endpoint from the
// Service - the agents list every ready address too - or after the grace period since the mark;
// marks of a missing SWH or of another SWH of the same name are left alone. Table-driven over
// snapshots, as the GC hook hands them over.

import type { EndpointSliceSnapshot } from "../lib/agent-slices.js";
import type { ObjectIdentity } from "../lib/object-identity.js";
import type { MarkedLeftoverSnapshot } from "../lib/controller-leftovers.js";
import {
  agentReadyAddresses,
  LEFTOVER_HANDOVER_GRACE_MS,
  planLeftoverHandover,
} from "./leftover-handover.js";

const NOW_MS = Date.parse("2026-01-01T10:00:00Z");
const SWHS: ObjectIdentity[] = [
  { namespace: "shop", name: "web", uid: "uid-web" },
  { namespace: "shop", name: "api", uid: "uid-api" },
];

/** A marked leftover of `service`, marked `markedAgoMs` before now. */
function leftover(
  name: string,
  service: string,
  ready: string[],
  extra: { mirror?: boolean; markedAgoMs?: number; uid?: string; graceMs?: number } = {},
): MarkedLeftoverSnapshot {
  const { mirror = false, markedAgoMs = 1_000, uid = `uid-${service}`, graceMs } = extra;
  return {
    name,
    namespace: "shop",
    serviceName: service,
    mirror,
    replacedBy: uid,
    replacedAtMs: NOW_MS - markedAgoMs,
    ...(graceMs === undefined ? {} : { graceMs }),
    readyAddresses: ready,
  };
}

/** An agent slice of `service` listing `endpoints` (address → ready). */
function agentSlice(
  service: string,
  endpoints: Record<string, boolean>,
  legacy = false,
): EndpointSliceSnapshot {
  return {
    name: `${service}-node-1`,
    namespace: "shop",
    serviceName: service,
    nodeName: "node-1",
    managedBy: "servicewithhealthchecks",
    legacy,
    owners: [],
    endpoints: Object.entries(endpoints).map(([address, ready]) => ({
      addresses: [address],
      ready,
      serving: ready,
      terminating: false,
    })),
    reports: [],
  };
}

/** Plans and renders the decisions as `reason kind name`. */
function plan(
  leftovers: MarkedLeftoverSnapshot[],
  agents: EndpointSliceSnapshot[],
  swhs = SWHS,
): string[] {
  return planLeftoverHandover(leftovers, swhs, agents, NOW_MS).map(
    d => `${d.reason} ${d.ref.kind} ${d.ref.namespace}/${d.ref.name}`,
  );
}

const GRACE = LEFTOVER_HANDOVER_GRACE_MS;

describe("planLeftoverHandover", () => {
  it.each<[string, MarkedLeftoverSnapshot[], EndpointSliceSnapshot[], string[]]>([
    // just adopted: the agents are still probing, the old endpoint keeps the Service serving
    ["agents still probing", [leftover("web-a", "web", ["10.0.0.1"])], [], []],
    [
      "agents list it, not ready yet",
      [leftover("web-a", "web", ["10.0.0.1"])],
      [agentSlice("web", { "10.0.0.1": false })],
      [],
    ],
    [
      "agents serve the same ready endpoint",
      [leftover("web-a", "web", ["10.0.0.1"])],
      [agentSlice("web", { "10.0.0.1": true })],
      ["LeftoverReplaced EndpointSlice shop/web-a"],
    ],
    [
      "only some of the ready endpoints covered: kept",
      [leftover("web-a", "web", ["10.0.0.1", "10.0.0.2"])],
      [agentSlice("web", { "10.0.0.1": true, "10.0.0.2": false })],
      [],
    ],
    // the grace period over: what the agents do not serve is failing or gone
    [
      "grace period over",
      [leftover("web-a", "web", ["10.0.0.1", "10.0.0.2"], { markedAgoMs: GRACE })],
      [agentSlice("web", { "10.0.0.1": true })],
      ["LeftoverExpired EndpointSlice shop/web-a"],
    ],
    // an SWH probed every minute: its agents get the longer grace its mark carries
    [
      "past 2 minutes, within the mark's own grace: kept",
      [leftover("web-a", "web", ["10.0.0.1"], { markedAgoMs: GRACE + 60_000, graceMs: 390_000 })],
      [],
      [],
    ],
    [
      "the mark's own grace over",
      [leftover("web-a", "web", ["10.0.0.1"], { markedAgoMs: 390_000, graceMs: 390_000 })],
      [],
      ["LeftoverExpired EndpointSlice shop/web-a"],
    ],
    [
      "grace counted from the first mark",
      [
        leftover("web-a", "web", ["10.0.0.1"], { markedAgoMs: GRACE + 1 }),
        leftover("web-m", "web", ["10.0.0.1"], { mirror: true, markedAgoMs: 5_000 }),
      ],
      [],
      [
        "LeftoverExpired Endpoints shop/web",
        "LeftoverExpired EndpointSlice shop/web-a",
        "LeftoverExpired EndpointSlice shop/web-m",
      ],
    ],
    [
      "nothing ready listed: nothing to hand over",
      [leftover("web-a", "web", [])],
      [],
      ["LeftoverReplaced EndpointSlice shop/web-a"],
    ],
    // the Endpoints goes first, else the mirroring controller recreates the mirror
    [
      "a mirror: the Endpoints first, then the slices by name",
      [
        leftover("web-m", "web", ["10.0.0.1"], { mirror: true }),
        leftover("web-a", "web", ["10.0.0.1"]),
      ],
      [agentSlice("web", { "10.0.0.1": true })],
      [
        "LeftoverReplaced Endpoints shop/web",
        "LeftoverReplaced EndpointSlice shop/web-a",
        "LeftoverReplaced EndpointSlice shop/web-m",
      ],
    ],
    // the Go agent's slices are being handed over themselves: they do not count
    [
      "covered only by a Go agent slice",
      [leftover("web-a", "web", ["10.0.0.1"])],
      [agentSlice("web", { "10.0.0.1": true }, true)],
      [],
    ],
    [
      "covered by another SWH's agents: kept",
      [leftover("web-a", "web", ["10.0.0.1"])],
      [agentSlice("api", { "10.0.0.1": true })],
      [],
    ],
    [
      "marked for an earlier SWH of the same name: waits for the child-service hook to mark it again",
      [leftover("web-a", "web", [], { uid: "uid-old", markedAgoMs: GRACE * 10 })],
      [],
      [],
    ],
    [
      "two SWHs, each on its own",
      [leftover("web-a", "web", ["10.0.0.1"]), leftover("api-a", "api", ["10.0.0.9"])],
      [agentSlice("api", { "10.0.0.9": true })],
      ["LeftoverReplaced EndpointSlice shop/api-a"],
    ],
  ])("%s", (_case, leftovers, agents, expected) => {
    expect(plan(leftovers, agents)).toEqual(expected);
  });

  it("leaves the marks of an SWH that no longer exists", () => {
    expect(plan([leftover("old-a", "old", [], { markedAgoMs: GRACE * 10 })], [], [])).toEqual([]);
  });

  it("treats a mark without a readable time as expired", () => {
    const noTime = { ...leftover("web-a", "web", ["10.0.0.1"]), replacedAtMs: undefined };
    expect(plan([noTime], [])).toEqual(["LeftoverExpired EndpointSlice shop/web-a"]);
  });
});

describe("agentReadyAddresses", () => {
  it("collects ready addresses per SWH, without the Go agent's slices", () => {
    const ready = agentReadyAddresses([
      agentSlice("web", { "10.0.0.1": true, "10.0.0.2": false }),
      agentSlice("api", { "10.0.0.9": true }, true),
    ]);
    expect([...(ready.get("shop/web") ?? [])]).toEqual(["10.0.0.1"]);
    expect(ready.get("shop/api")).toBeUndefined();
  });
});
