// Tests for the agent-object filters (agent-slices.ts, agent-leases.ts, object-identity.ts): the
// TypeScript filters on full objects, the jq programs run by the real `jq` binary (the operator
// runs the same programs with its own jq), and the promise that the two agree: filtering the jq
// output gives the same snapshot as filtering the full object.

import { execFileSync } from "node:child_process";
import { nodeLabelValue } from "../../api/contract.js";
import {
  LEASE_JQ_FILTER,
  agentHeartbeatsByNode,
  filterLease,
  leaseExpiresAtMs,
  type LeaseSnapshot,
} from "./agent-leases.js";
import { ENDPOINT_SLICE_JQ_FILTER, filterEndpointSlice } from "./agent-slices.js";
import { OBJECT_IDENTITY_JQ_FILTER, filterObjectIdentity } from "./object-identity.js";

/** Runs a jq program with the system jq, as the operator would, and parses its output. */
function runJq(program: string, input: unknown): unknown {
  const out = execFileSync("jq", ["-c", program], { input: JSON.stringify(input) });
  return JSON.parse(out.toString("utf8"));
}

const REPORTS = [
  {
    pod: "db-0",
    address: "10.0.0.1",
    ready: false,
    failedProbes: [{ probe: "PostgreSQL:10.0.0.1:5432", reason: "connect ECONNREFUSED" }],
    lastTransitionTime: "2024-05-01T10:00:00Z",
  },
  { pod: "db-1", address: "10.0.0.2", ready: true, failedProbes: [] },
];

/** A slice as the agent writes it, with fields the filters must drop. */
const FULL_SLICE = {
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: {
    name: "db-read-node1-ipv4",
    namespace: "prod",
    uid: "slice-uid",
    resourceVersion: "42",
    managedFields: [{ manager: "agent" }],
    labels: {
      "kubernetes.io/service-name": "db-read",
      "network.deckhouse.io/node-name": "node1",
      "endpointslice.kubernetes.io/managed-by": "servicewithhealthchecks",
      heritage: "deckhouse",
    },
    annotations: {
      "network.deckhouse.io/endpoint-reports": JSON.stringify(REPORTS),
      "network.deckhouse.io/fenced-at": "2024-05-01T10:05:00Z",
      "unrelated/annotation": "x",
    },
    ownerReferences: [
      {
        apiVersion: "network.deckhouse.io/v1alpha1",
        kind: "ServiceWithHealthchecks",
        name: "db-read",
        uid: "swh-uid",
        controller: true,
      },
    ],
  },
  addressType: "IPv4",
  ports: [{ name: "pg", port: 5432, protocol: "TCP" }],
  endpoints: [
    {
      addresses: ["10.0.0.1"],
      conditions: { ready: false, serving: false, terminating: false },
      nodeName: "node1",
      zone: "a",
      targetRef: { kind: "Pod", name: "db-0", namespace: "prod", uid: "pod-0" },
    },
    {
      addresses: ["10.0.0.2"],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: "node1",
      targetRef: { kind: "Pod", name: "db-1", namespace: "prod", uid: "pod-1" },
    },
  ],
};

/** A Go-implementation slice: no node-name label, no reports, no conditions on one endpoint. */
const LEGACY_SLICE = {
  metadata: {
    name: "web-node2",
    namespace: "default",
    labels: {
      "kubernetes.io/service-name": "web",
      "endpointslice.kubernetes.io/managed-by": "servicewithhealthchecks",
    },
  },
  endpoints: [{ addresses: ["10.0.1.5"], nodeName: "node2", targetRef: { name: "web-0" } }],
};

const FULL_LEASE = {
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  metadata: {
    name: "swh-agent-node1",
    namespace: "d8-service-with-healthchecks",
    labels: { "network.deckhouse.io/component": "swh-agent-heartbeat" },
    annotations: {
      "network.deckhouse.io/silent-since": "2024-05-01T08:59:30.500000Z",
      "other.example.com/kept-out": "x",
    },
    managedFields: [{}],
  },
  spec: {
    holderIdentity: "node1",
    leaseDurationSeconds: 30,
    renewTime: "2024-05-01T10:00:00.123456Z",
    acquireTime: "2024-05-01T09:00:00.000000Z",
  },
};

const FULL_NODE = {
  metadata: { name: "node1", uid: "node-uid", labels: { a: "b" } },
  status: { capacity: { cpu: "4" } },
};

describe("filterEndpointSlice", () => {
  it("reduces a full agent slice to the snapshot the hooks read", () => {
    expect(filterEndpointSlice(FULL_SLICE)).toEqual({
      name: "db-read-node1-ipv4",
      namespace: "prod",
      serviceName: "db-read",
      nodeName: "node1",
      managedBy: "servicewithhealthchecks",
      legacy: false,
      owners: [
        { uid: "swh-uid", kind: "ServiceWithHealthchecks", name: "db-read", controller: true },
      ],
      endpoints: [
        {
          addresses: ["10.0.0.1"],
          ready: false,
          serving: false,
          terminating: false,
          nodeName: "node1",
          podName: "db-0",
        },
        {
          addresses: ["10.0.0.2"],
          ready: true,
          serving: true,
          terminating: false,
          nodeName: "node1",
          podName: "db-1",
        },
      ],
      reports: REPORTS,
      fencedAt: "2024-05-01T10:05:00Z",
    });
  });

  it("takes the node from the endpoints and treats absent conditions as ready", () => {
    const snap = filterEndpointSlice(LEGACY_SLICE);
    expect(snap?.nodeName).toBe("node2");
    expect(snap?.legacy).toBe(true);
    expect(snap?.endpoints[0]).toEqual({
      addresses: ["10.0.1.5"],
      ready: true,
      serving: true,
      terminating: false,
      nodeName: "node2",
      podName: "web-0",
    });
    expect(snap?.reports).toEqual([]);
    expect(snap?.reportsError).toBeUndefined();
  });

  it.each([
    // not an object at all
    [null],
    // no metadata
    [{ endpoints: [] }],
    // no namespace: an EndpointSlice is namespaced, this is not one
    [{ metadata: { name: "x" } }],
  ])("rejects %j", raw => {
    expect(filterEndpointSlice(raw)).toBeUndefined();
  });

  it("agrees with itself on the jq program's output", () => {
    const reduced = runJq(ENDPOINT_SLICE_JQ_FILTER, FULL_SLICE);
    expect(JSON.stringify(reduced).length).toBeLessThan(JSON.stringify(FULL_SLICE).length);
    expect(reduced).not.toHaveProperty("ports");
    expect(filterEndpointSlice(reduced)).toEqual(filterEndpointSlice(FULL_SLICE));
    expect(filterEndpointSlice(runJq(ENDPOINT_SLICE_JQ_FILTER, LEGACY_SLICE))).toEqual(
      filterEndpointSlice(LEGACY_SLICE),
    );
  });

  it("survives jq on a slice with null endpoints and no labels", () => {
    const bare = { metadata: { name: "s", namespace: "n" }, endpoints: null };
    expect(filterEndpointSlice(runJq(ENDPOINT_SLICE_JQ_FILTER, bare))).toEqual({
      name: "s",
      namespace: "n",
      legacy: false,
      owners: [],
      endpoints: [],
      reports: [],
    });
  });
});

describe("filterLease", () => {
  it("reads holder, renew and acquire times (microseconds), duration and silence start", () => {
    expect(filterLease(FULL_LEASE)).toEqual({
      name: "swh-agent-node1",
      namespace: "d8-service-with-healthchecks",
      nodeName: "node1",
      renewTimeMs: Date.UTC(2024, 4, 1, 10, 0, 0, 123),
      leaseDurationSeconds: 30,
      acquireTimeMs: Date.UTC(2024, 4, 1, 9, 0, 0, 0),
      silentSinceMs: Date.UTC(2024, 4, 1, 8, 59, 30, 500),
    });
  });

  it("agrees with itself on the jq program's output", () => {
    const reduced = runJq(LEASE_JQ_FILTER, FULL_LEASE);
    // The legacy-slice hand-over reads since when the agent holds its Lease; nothing else.
    expect(reduced).toHaveProperty("spec.acquireTime", FULL_LEASE.spec.acquireTime);
    expect(reduced).not.toHaveProperty("metadata.managedFields");
    expect(reduced).not.toHaveProperty(["metadata", "annotations", "other.example.com/kept-out"]);
    expect(filterLease(reduced)).toEqual(filterLease(FULL_LEASE));
  });

  it("falls back to the node-name label and tolerates a missing renew time", () => {
    const lease = {
      metadata: { name: "l", namespace: "ns", labels: { "network.deckhouse.io/node-name": "n9" } },
      spec: { renewTime: "not a time" },
    };
    expect(filterLease(lease)).toEqual({ name: "l", namespace: "ns", nodeName: "n9" });
  });
});

describe("filterObjectIdentity", () => {
  it.each([
    // cluster-scoped Node: empty namespace, uid kept
    [FULL_NODE, { name: "node1", namespace: "", uid: "node-uid" }],
    // namespaced object without uid
    [{ metadata: { name: "a", namespace: "b" } }, { name: "a", namespace: "b" }],
    // no name: rejected
    [{ metadata: {} }, undefined],
  ])("filters %j", (raw, expected) => {
    expect(filterObjectIdentity(raw)).toEqual(expected);
  });

  it("agrees with itself on the jq program's output", () => {
    const reduced = runJq(OBJECT_IDENTITY_JQ_FILTER, FULL_NODE);
    expect(reduced).toEqual({ metadata: { name: "node1", namespace: null, uid: "node-uid" } });
    expect(filterObjectIdentity(reduced)).toEqual(filterObjectIdentity(FULL_NODE));
  });
});

describe("lease expiry", () => {
  const lease = (nodeName: string, renewTimeMs?: number, duration?: number): LeaseSnapshot => ({
    name: `swh-agent-${nodeName}`,
    namespace: "d8-service-with-healthchecks",
    nodeName,
    ...(renewTimeMs === undefined ? {} : { renewTimeMs }),
    ...(duration === undefined ? {} : { leaseDurationSeconds: duration }),
  });

  it.each([
    // renewed at 1000 ms with a 10 s duration
    [lease("a", 1000, 10), 11_000],
    // no duration: the 40 s default
    [lease("a", 1000), 41_000],
    // never renewed: no expiry time at all
    [lease("a"), undefined],
  ])("%j expires at %s", (l, expected) => {
    expect(leaseExpiresAtMs(l)).toBe(expected);
  });

  it("keeps the freshest lease per node and -Infinity for never-renewed ones", () => {
    const byNode = agentHeartbeatsByNode([
      lease("a", 1000, 10),
      lease("a", 5000, 10),
      lease("b"),
      { name: "orphan", namespace: "x" },
    ]);
    expect([...byNode.entries()].map(([node, h]) => [node, h.expiresAtMs])).toEqual([
      ["a", 15_000],
      ["b", Number.NEGATIVE_INFINITY],
    ]);
  });
});

/** Node names of every length the API server accepts (a DNS subdomain: up to 253 characters). */
const NAME_63 = `n${"a".repeat(61)}z`;
const NAME_64 = `n${"a".repeat(62)}z`;
const NAME_253 = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`;
/** Two long names that share their first 100 characters. */
const LONG_A = `${"x".repeat(100)}-worker-a.example.com`;
const LONG_B = `${"x".repeat(100)}-worker-b.example.com`;

describe("nodeLabelValue (api/contract.ts), the key hooks match nodes on", () => {
  it.each([
    // short names are their own label value
    ["node-a", "node-a"],
    // 63 characters still fit a label value
    [NAME_63, NAME_63],
  ])("keeps %s", (name, expected) => {
    expect(nodeLabelValue(name)).toBe(expected);
  });

  it.each([
    // one character over the label limit
    [NAME_64],
    // the longest node name there is
    [NAME_253],
    // long names sharing a long prefix
    [LONG_A],
    [LONG_B],
  ])("bounds %s to a valid label value, idempotently", name => {
    const value = nodeLabelValue(name);
    expect(value.length).toBeLessThanOrEqual(63);
    expect(value).toMatch(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/);
    expect(value).not.toBe(name);
    expect(nodeLabelValue(value)).toBe(value);
    expect(nodeLabelValue(name)).toBe(value);
  });

  it("keeps distinct long names distinct", () => {
    expect(nodeLabelValue(LONG_A)).not.toBe(nodeLabelValue(LONG_B));
    expect(nodeLabelValue(NAME_64)).not.toBe(nodeLabelValue(`${NAME_64}x`));
  });
});

describe("agentHeartbeatsByNode", () => {
  const lease = (holder: string, renewTimeMs: number, acquireTimeMs?: number): LeaseSnapshot => ({
    name: `swh-agent-${holder}`,
    namespace: "d8-service-with-healthchecks",
    nodeName: holder,
    renewTimeMs,
    leaseDurationSeconds: 10,
    ...(acquireTimeMs === undefined ? {} : { acquireTimeMs }),
  });

  it("keys a Lease by nodeLabelValue of its holder, so a 64+ character node finds it", () => {
    const byNode = agentHeartbeatsByNode([lease(NAME_253, 1000, 500), lease("node-a", 2000)]);
    expect([...byNode]).toEqual([
      [nodeLabelValue(NAME_253), { expiresAtMs: 11_000, acquiredAtMs: 500, durationMs: 10_000 }],
      ["node-a", { expiresAtMs: 12_000, durationMs: 10_000 }],
    ]);
  });

  it("keeps the acquire time of the Lease that expires last", () => {
    const byNode = agentHeartbeatsByNode([lease("a", 5000, 4000), lease("a", 1000, 100)]);
    expect(byNode.get("a")).toEqual({
      expiresAtMs: 15_000,
      acquiredAtMs: 4000,
      durationMs: 10_000,
    });
  });

  it("reads a Lease held by a long-named node's label when it has no holder", () => {
    const raw = {
      metadata: {
        name: "l",
        namespace: "d8-service-with-healthchecks",
        labels: { "network.deckhouse.io/node-name": nodeLabelValue(NAME_253) },
      },
      spec: { renewTime: "2024-05-01T10:00:00Z", leaseDurationSeconds: 40 },
    };
    const byNode = agentHeartbeatsByNode([filterLease(raw)!]);
    expect(byNode.get(nodeLabelValue(NAME_253))?.expiresAtMs).toBe(Date.UTC(2024, 4, 1, 10, 0, 40));
  });
});
