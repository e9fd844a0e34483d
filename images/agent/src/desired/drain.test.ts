// The drain rules as pure functions: parsing the pod annotation, which SWHs it names, when a
// removed drain is over (only on a passing result that arrived after the removal), and what a
// drain does to a verdict (even with publishNotReadyAddresses).

import { ANNOTATION_DRAIN_FROM } from "../../../../api/contract.js";
import { pod, probeState, swh } from "../../../../tests/agent/fixtures.js";
import type { ProbeState } from "../scheduler/types.js";
import {
  applyDrain,
  DRAINED_FAILURE,
  drainOver,
  drains,
  parseDrainFrom,
  RESTORING_FAILURE,
} from "./drain.js";
import { computeDesired, type DesiredEndpoint } from "./endpoints.js";
import { evaluateEndpoint } from "./readiness.js";

describe("parseDrainFrom", () => {
  it.each([
    [undefined, undefined],
    ["", undefined],
    [" , ,", undefined],
    ["web", { all: false, names: ["web"], invalid: [] }],
    [" web , smtp ,web", { all: false, names: ["smtp", "web"], invalid: [] }],
    ["*", { all: true, names: [], invalid: [] }],
    ["web, *", { all: true, names: ["web"], invalid: [] }],
    [
      "Web,my web,a_b,ok.name",
      { all: false, names: ["ok.name"], invalid: ["Web", "my web", "a_b"] },
    ],
    [`${"a".repeat(254)},x`, { all: false, names: ["x"], invalid: ["a".repeat(254)] }],
  ])("parses %j", (value, parsed) => {
    expect(parseDrainFrom(value)).toEqual(parsed);
  });

  it("names SWHs by name, or every one with *", () => {
    expect(drains(parseDrainFrom("web,smtp"), "web")).toBe(true);
    expect(drains(parseDrainFrom("web,smtp"), "db")).toBe(false);
    expect(drains(parseDrainFrom("*"), "db")).toBe(true);
    expect(drains(undefined, "db")).toBe(false);
  });
});

describe("the desired state", () => {
  const swhs = [swh({ name: "db" }), swh({ name: "other", uid: "swh-other" })];
  const endpointsOf = (annotation: string | undefined): Record<string, boolean> => {
    const annotations: Record<string, string> =
      annotation === undefined ? {} : { [ANNOTATION_DRAIN_FROM]: annotation };
    const d = computeDesired({
      swhs,
      pods: [pod({ name: "p", annotations })],
      credentials: () => ({ error: "no Secret" }),
    });
    return Object.fromEntries(
      [...d.swhs.values()].map(sd => [sd.swh.name, sd.endpoints[0]?.drained === true]),
    );
  };

  it("marks the endpoints of the SWHs the pod's annotation names, and only those", () => {
    expect(endpointsOf(undefined)).toEqual({ db: false, other: false });
    expect(endpointsOf("db")).toEqual({ db: true, other: false });
    expect(endpointsOf(" other , nosuch ")).toEqual({ db: false, other: true });
    expect(endpointsOf("*")).toEqual({ db: true, other: true });
    expect(endpointsOf("")).toEqual({ db: false, other: false });
  });

  it("leaves an endpoint that is not drained without the field (unchanged output)", () => {
    const d = computeDesired({
      swhs,
      pods: [pod({ name: "p" })],
      credentials: () => ({ error: "no Secret" }),
    });
    expect("drained" in d.swhs.get("swh-db")!.endpoints[0]!).toBe(false);
  });
});

const endpointWith = (probes: number): DesiredEndpoint => ({
  key: "swh|pod|10.0.0.1",
  pod: { name: "p", namespace: "ns", uid: "pod" },
  address: "10.0.0.1",
  family: "IPv4",
  ports: [],
  podReady: true,
  terminating: false,
  probes: Array.from({ length: probes }, (_, i) => ({
    workerKey: `w${i}`,
    name: `TCP:10.0.0.1:${i}`,
  })),
  failures: [],
  hasProbes: probes > 0,
  requirePodReady: false,
  drained: true,
});

describe("drainOver", () => {
  const removedAt = Date.parse("2024-01-01T00:01:00Z");
  const at = (iso: string, lastOk: boolean, healthy = true): ProbeState => ({
    ...probeState(healthy),
    lastProbeAt: new Date(iso),
    lastOk,
  });

  it("waits while a probe's latest result is from before the removal (stale)", () => {
    const states: Record<string, ProbeState> = {
      w0: at("2024-01-01T00:01:05Z", true),
      w1: at("2024-01-01T00:00:55Z", true),
    };
    expect(drainOver(endpointWith(2).probes, removedAt, k => states[k])).toBe(false);
  });

  it("waits while the fresh result failed, even below the failure threshold", () => {
    const states = { w0: at("2024-01-01T00:01:05Z", false, true) };
    expect(drainOver(endpointWith(1).probes, removedAt, k => states[k as "w0"])).toBe(false);
  });

  it("waits for a probe that has no result, or only an adopted one", () => {
    expect(drainOver(endpointWith(1).probes, removedAt, () => undefined)).toBe(false);
    expect(drainOver(endpointWith(1).probes, removedAt, () => probeState(true))).toBe(false);
  });

  it("ends once every probe passed after the removal", () => {
    const states: Record<string, ProbeState> = {
      w0: at("2024-01-01T00:01:05Z", true),
      w1: at("2024-01-01T00:01:01Z", true),
    };
    expect(drainOver(endpointWith(2).probes, removedAt, k => states[k])).toBe(true);
  });

  it("ends at once for an endpoint without probes (pod readiness is always current)", () => {
    expect(drainOver(endpointWith(0).probes, removedAt, () => undefined)).toBe(true);
  });
});

describe("applyDrain", () => {
  const healthy = (): ProbeState => probeState(true);

  it("publishes a drained endpoint not ready and not serving, with the Drain entry", () => {
    const verdict = applyDrain(evaluateEndpoint(endpointWith(1), healthy, false), "drained");
    expect(verdict).toMatchObject({
      healthy: false,
      failures: [DRAINED_FAILURE],
      conditions: { ready: false, serving: false, terminating: false },
      drain: "drained",
    });
  });

  it("wins over publishNotReadyAddresses (an explicit operator action)", () => {
    const probed = evaluateEndpoint(endpointWith(1), healthy, true);
    expect(probed.conditions).toEqual({ ready: true, serving: true, terminating: false });
    expect(applyDrain(probed, "drained").conditions).toEqual({
      ready: false,
      serving: false,
      terminating: false,
    });
  });

  it("keeps the probe failures and the terminating condition", () => {
    const failing = (): ProbeState => probeState(false, "connect ECONNREFUSED");
    const terminating = { ...endpointWith(1), terminating: true };
    const verdict = applyDrain(evaluateEndpoint(terminating, failing, false), "restoring");
    expect(verdict.failures).toEqual([
      RESTORING_FAILURE,
      { probe: "TCP:10.0.0.1:0", reason: "connect ECONNREFUSED" },
    ]);
    expect(verdict.conditions).toEqual({ ready: false, serving: false, terminating: true });
    expect(verdict.drain).toBe("restoring");
  });

  it("changes nothing without a drain", () => {
    const probed = evaluateEndpoint(endpointWith(1), healthy, false);
    expect(applyDrain(probed, undefined)).toBe(probed);
  });
});
