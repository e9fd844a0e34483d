// Semantic slice equality: order and server bookkeeping do not count, owned content does.
import { ANNOTATION_FENCED_AT } from "../../../../api/contract.js";
import type { RawEndpointSlice } from "swh-kube-client";
import { slicesEqual } from "./equal.js";

const base: RawEndpointSlice = {
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: {
    name: "db-node-a-1",
    namespace: "ns",
    labels: { a: "1", b: "2" },
    annotations: { r: "[]" },
    ownerReferences: [
      {
        apiVersion: "v",
        kind: "K",
        name: "db",
        uid: "u",
        controller: true,
        blockOwnerDeletion: false,
      },
    ],
  },
  addressType: "IPv4",
  ports: [
    { name: "a", protocol: "TCP", port: 1 },
    { name: "b", protocol: "TCP", port: 2 },
  ],
  endpoints: [
    {
      addresses: ["10.0.0.1"],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: "n",
      targetRef: { kind: "Pod", name: "p1", namespace: "ns", uid: "1" },
    },
    {
      addresses: ["10.0.0.2"],
      conditions: { ready: false, serving: false, terminating: false },
      nodeName: "n",
      targetRef: { kind: "Pod", name: "p2", namespace: "ns", uid: "2" },
    },
  ],
};

function variant(change: (s: RawEndpointSlice) => void): RawEndpointSlice {
  const copy = structuredClone(base);
  change(copy);
  return copy;
}

describe("slicesEqual", () => {
  it.each([
    ["endpoints reordered", (s: RawEndpointSlice) => s.endpoints!.reverse()],
    ["ports reordered", (s: RawEndpointSlice) => s.ports!.reverse()],
    [
      "labels in another key order",
      (s: RawEndpointSlice) => (s.metadata!.labels = { b: "2", a: "1" }),
    ],
    [
      "server bookkeeping",
      (s: RawEndpointSlice) =>
        Object.assign(s.metadata!, { resourceVersion: "9", generation: 3, uid: "x" }),
    ],
    ["another name (planner reuses slices)", (s: RawEndpointSlice) => (s.metadata!.name = "other")],
    ["protocol defaulted by the server", (s: RawEndpointSlice) => delete s.ports![0]!.protocol],
    [
      "empty hints",
      (s: RawEndpointSlice) => (s.endpoints![0]!.hints = { forZones: [], forNodes: [] }),
    ],
  ])("equal despite %s", (_what, change) => {
    expect(slicesEqual(base, variant(change))).toBe(true);
  });

  it.each([
    ["a condition", (s: RawEndpointSlice) => (s.endpoints![1]!.conditions!.ready = true)],
    [
      "a missing condition",
      (s: RawEndpointSlice) => delete s.endpoints![0]!.conditions!.terminating,
    ],
    ["an address", (s: RawEndpointSlice) => (s.endpoints![0]!.addresses = ["10.0.0.9"])],
    [
      "a targetRef uid (pod recreated)",
      (s: RawEndpointSlice) => (s.endpoints![0]!.targetRef!.uid = "new"),
    ],
    ["a port number", (s: RawEndpointSlice) => (s.ports![0]!.port = 9)],
    ["an extra label", (s: RawEndpointSlice) => (s.metadata!.labels!.c = "3")],
    ["the reports annotation", (s: RawEndpointSlice) => (s.metadata!.annotations!.r = "[{}]")],
    [
      "the fencing mark",
      (s: RawEndpointSlice) => (s.metadata!.annotations![ANNOTATION_FENCED_AT] = "now"),
    ],
    ["the owner", (s: RawEndpointSlice) => (s.metadata!.ownerReferences![0]!.uid = "other")],
    ["the zone", (s: RawEndpointSlice) => (s.endpoints![0]!.zone = "z")],
    [
      "zone hints appear (trafficDistribution set)",
      (s: RawEndpointSlice) => (s.endpoints![0]!.hints = { forZones: [{ name: "z" }] }),
    ],
    [
      "node hints appear (PreferClose to PreferSameNode)",
      (s: RawEndpointSlice) =>
        (s.endpoints![0]!.hints = { forZones: [{ name: "z" }], forNodes: [{ name: "n" }] }),
    ],
    ["an endpoint less", (s: RawEndpointSlice) => s.endpoints!.pop()],
  ])("different when %s changes", (_what, change) => {
    expect(slicesEqual(base, variant(change))).toBe(false);
  });
});
