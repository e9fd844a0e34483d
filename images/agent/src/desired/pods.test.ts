// Candidate selection, selector matching, address families and named-port resolution: the
// per-pod rules the desired state is built from.
import { pod } from "../../../../tests/agent/fixtures.js";
import {
  addressesByFamily,
  addressFamily,
  isCandidate,
  podSnapshot,
  publishable,
  resolveTargetPort,
  selectorMatches,
} from "./pods.js";

describe("podSnapshot", () => {
  it("keeps identity, IPs, readiness, termination, start time and declared ports", () => {
    const snap = pod({
      name: "db-0",
      ips: ["10.0.0.5", "fd00::5"],
      ready: false,
      deleting: true,
      ports: [{ name: "pg", containerPort: 5432 }],
      sidecarPorts: [{ name: "metrics", containerPort: 9187 }],
    });
    expect(snap).toMatchObject({
      uid: "uid-db-0",
      name: "db-0",
      namespace: "ns",
      ips: ["10.0.0.5", "fd00::5"],
      ready: false,
      terminating: true,
      startedAtMs: Date.parse("2024-01-01T00:00:00Z"),
    });
    expect(snap.ports).toEqual([
      { name: "pg", port: 5432, protocol: "TCP" },
      { name: "metrics", port: 9187, protocol: "TCP" },
    ]);
  });

  it.each([
    // not an object
    [null],
    // no uid
    [{ metadata: { name: "a", namespace: "ns" } }],
    // no namespace
    [{ metadata: { name: "a", uid: "u" } }],
  ])("drops %j", raw => {
    expect(podSnapshot(raw)).toBeUndefined();
  });

  it("falls back to status.podIP when podIPs is absent", () => {
    const snap = podSnapshot({
      metadata: { name: "a", namespace: "ns", uid: "u" },
      status: { podIP: "10.1.1.1" },
    });
    expect(snap?.ips).toEqual(["10.1.1.1"]);
  });
});

describe("isCandidate", () => {
  it.each([
    // running and ready
    [{ name: "a" }, true],
    // not ready still counts: pod readiness does not gate SWH endpoints
    [{ name: "a", ready: false }, true],
    // terminating pods stay candidates (published as terminating)
    [{ name: "a", deleting: true }, true],
    // pending pod with an IP
    [{ name: "a", phase: "Pending" }, true],
    // no IP yet
    [{ name: "a", ips: [] }, false],
    // finished pods never: their IP may belong to another pod already
    [{ name: "a", phase: "Failed" }, false],
    [{ name: "a", phase: "Succeeded" }, false],
  ])("given %j returns %s", (options, want) => {
    expect(isCandidate(pod(options))).toBe(want);
  });
});

describe("selectorMatches", () => {
  it.each([
    // every key matches
    [{ app: "db" }, { app: "db", tier: "x" }, true],
    // one key differs
    [{ app: "db", role: "primary" }, { app: "db", role: "replica" }, false],
    // key missing
    [{ app: "db" }, {}, false],
    // empty selector selects nothing (Service semantics)
    [{}, { app: "db" }, false],
    // absent selector selects nothing
    [undefined, { app: "db" }, false],
  ])("selector %j on labels %j returns %s", (selector, labels, want) => {
    expect(selectorMatches(selector, labels)).toBe(want);
  });
});

describe("address families", () => {
  it.each([
    ["10.0.0.1", "IPv4"],
    ["fd00::1", "IPv6"],
    ["::ffff:10.0.0.1", "IPv6"],
    ["not-an-ip", undefined],
  ])("%s is %s", (ip, family) => {
    expect(addressFamily(ip)).toBe(family);
  });

  it.each([
    ["10.0.0.1", true],
    ["fd00::1", true],
    ["192.0.2.2", true],
    ["127.0.0.1", false],
    ["::1", false],
    ["0.0.0.0", false],
    ["169.254.1.1", false],
    ["fe80::1", false],
    ["224.0.0.1", false],
    ["ff02::1", false],
    ["garbage", false],
  ])("publishable(%s) = %s (what EndpointSlice validation accepts)", (ip, want) => {
    expect(publishable(ip)).toBe(want);
  });

  it("skips addresses a slice cannot carry", () => {
    expect(addressesByFamily(pod({ name: "a", ips: ["127.0.0.5", "::1"] }))).toEqual([]);
  });

  it("takes the first address of each family, in the pod's order", () => {
    const snap = pod({ name: "a", ips: ["fd00::1", "10.0.0.1", "10.0.0.2"] });
    expect(addressesByFamily(snap)).toEqual([
      ["IPv6", "fd00::1"],
      ["IPv4", "10.0.0.1"],
    ]);
  });
});

describe("resolveTargetPort", () => {
  const p = pod({
    name: "vm",
    ports: [
      { name: "http", containerPort: 8080 },
      { name: "dns", containerPort: 53, protocol: "UDP" },
    ],
  });
  it.each([
    // numbers pass through
    [8443, "TCP", { port: 8443 }],
    // absent target falls back to the Service port
    [undefined, "TCP", { port: 80 }],
    // numeric string
    ["9000", "TCP", { port: 9000 }],
    // name found with the same protocol
    ["http", "TCP", { port: 8080 }],
    ["dns", "UDP", { port: 53 }],
  ])("target %j (%s) resolves to %j", (target, protocol, want) => {
    expect(resolveTargetPort(p, target, 80, protocol)).toEqual(want);
  });

  it.each([
    // name not declared
    ["smtp", "TCP"],
    // declared, but for another protocol
    ["dns", "TCP"],
  ])("target %j (%s) is an error naming the port and the pod", (target, protocol) => {
    const result = resolveTargetPort(p, target, 80, protocol);
    expect(result).toEqual({ error: expect.stringContaining(`"${target}"`) });
    expect(result).toEqual({ error: expect.stringContaining("pod vm") });
  });
});
