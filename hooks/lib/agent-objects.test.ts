// Tests for the agent-object filters: the TypeScript filters on full objects, the jq programs run
// by the real `jq` binary (the operator runs the same programs with its own jq), and the promise
// that the two agree: filtering the jq output gives the same snapshot as filtering the full object.

import { execFileSync } from "node:child_process";
import {
  ENDPOINT_SLICE_JQ_FILTER,
  LEASE_JQ_FILTER,
  OBJECT_IDENTITY_JQ_FILTER,
  filterEndpointSlice,
  filterLease,
  filterObjectIdentity,
  leaseExpiresAtMs,
  leaseExpiryByNode,
  parseEndpointReports,
  type LeaseSnapshot,
} from "./agent-objects.js";

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
      owners: [],
      endpoints: [],
      reports: [],
    });
  });
});

describe("parseEndpointReports", () => {
  it.each([
    // absent annotation: no reports, no error
    [undefined, 0, undefined],
    // empty array
    ["[]", 0, undefined],
    // valid reports
    [JSON.stringify(REPORTS), 2, undefined],
    // not JSON
    ["{oops", 0, "annotation is not JSON"],
    // JSON but not an array
    ['{"pod":"a"}', 0, "annotation is not a JSON array"],
    // one valid report and one without a pod name
    ['[{"pod":"a","address":"1.1.1.1","ready":true},{"address":"x","ready":true}]', 1, "1 invalid"],
  ])("parses %s into %d report(s), error %s", (text, count, error) => {
    const parsed = parseEndpointReports(text);
    expect(parsed.reports).toHaveLength(count);
    if (error === undefined) expect(parsed.error).toBeUndefined();
    else expect(parsed.error).toContain(error);
  });

  it("drops malformed failures but keeps the report", () => {
    const text = JSON.stringify([
      { pod: "a", address: "1.1.1.1", ready: false, failedProbes: [{ reason: "x" }, "bad"] },
    ]);
    expect(parseEndpointReports(text).reports[0]?.failedProbes).toEqual([]);
  });
});

describe("filterLease", () => {
  it("reads holder, renew time (microseconds) and duration", () => {
    expect(filterLease(FULL_LEASE)).toEqual({
      name: "swh-agent-node1",
      namespace: "d8-service-with-healthchecks",
      nodeName: "node1",
      renewTimeMs: Date.UTC(2024, 4, 1, 10, 0, 0, 123),
      leaseDurationSeconds: 30,
    });
  });

  it("agrees with itself on the jq program's output", () => {
    const reduced = runJq(LEASE_JQ_FILTER, FULL_LEASE);
    expect(reduced).not.toHaveProperty("spec.acquireTime");
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
    const byNode = leaseExpiryByNode([
      lease("a", 1000, 10),
      lease("a", 5000, 10),
      lease("b"),
      { name: "orphan", namespace: "x" },
    ]);
    expect([...byNode.entries()]).toEqual([
      ["a", 15_000],
      ["b", Number.NEGATIVE_INFINITY],
    ]);
  });
});
