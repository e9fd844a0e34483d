// Endpoint readiness and EndpointSlice conditions: probes decide (pod readiness only when there
// are no probes or requirePodReady is set); conditions follow the EndpointSlice controller,
// including publishNotReadyAddresses.
import { probeState } from "../../../../tests/agent/fixtures.js";
import type { ProbeState } from "../scheduler/types.js";
import type { DesiredEndpoint } from "./endpoints.js";
import { evaluateEndpoint, POD_NOT_READY, PROBE_PENDING_REASON } from "./readiness.js";

function endpoint(o: Partial<DesiredEndpoint> = {}): DesiredEndpoint {
  return {
    key: "swh|pod|10.0.0.1",
    pod: { name: "db-0", namespace: "ns", uid: "pod" },
    address: "10.0.0.1",
    family: "IPv4",
    ports: [],
    podReady: true,
    terminating: false,
    probes: [
      { workerKey: "k0", name: "TCP:10.0.0.1:5432" },
      { workerKey: "k1", name: "HTTP:10.0.0.1:8080" },
    ],
    failures: [],
    hasProbes: true,
    requirePodReady: false,
    ...o,
  };
}

function states(s: Record<string, ProbeState | undefined>) {
  return (key: string) => s[key];
}

const ok = probeState(true);
const down = probeState(false, "connect ECONNREFUSED");

describe("evaluateEndpoint", () => {
  it.each([
    // every probe healthy: ready
    [
      "all probes healthy",
      endpoint(),
      { k0: ok, k1: ok },
      false,
      { healthy: true, ready: true, serving: true, terminating: false },
    ],
    // one probe down: not ready, not serving
    [
      "one probe down",
      endpoint(),
      { k0: ok, k1: down },
      false,
      { healthy: false, ready: false, serving: false, terminating: false },
    ],
    // the pod's own readiness does not matter by default
    [
      "pod not Ready, probes healthy",
      endpoint({ podReady: false }),
      { k0: ok, k1: ok },
      false,
      { healthy: true, ready: true, serving: true, terminating: false },
    ],
    // ...unless requirePodReady
    [
      "requirePodReady, pod not Ready",
      endpoint({ podReady: false, requirePodReady: true }),
      { k0: ok, k1: ok },
      false,
      { healthy: false, ready: false, serving: false, terminating: false },
    ],
    // without probes the pod's readiness decides, like a plain Service
    [
      "no probes, pod Ready",
      endpoint({ probes: [], hasProbes: false }),
      {},
      false,
      { healthy: true, ready: true, serving: true, terminating: false },
    ],
    [
      "no probes, pod not Ready",
      endpoint({ probes: [], hasProbes: false, podReady: false }),
      {},
      false,
      { healthy: false, ready: false, serving: false, terminating: false },
    ],
    // terminating: serving per probes, never ready
    [
      "terminating, probes healthy",
      endpoint({ terminating: true }),
      { k0: ok, k1: ok },
      false,
      { healthy: true, ready: false, serving: true, terminating: true },
    ],
    [
      "terminating, probe down",
      endpoint({ terminating: true }),
      { k0: ok, k1: down },
      false,
      { healthy: false, ready: false, serving: false, terminating: true },
    ],
    // publishNotReadyAddresses: published ready and serving whatever the probes say (k8s semantics)
    [
      "publishNotReady, probe down",
      endpoint(),
      { k0: down, k1: down },
      true,
      { healthy: false, ready: true, serving: true, terminating: false },
    ],
    [
      "publishNotReady, terminating",
      endpoint({ terminating: true }),
      { k0: ok, k1: ok },
      true,
      { healthy: true, ready: true, serving: true, terminating: true },
    ],
    // a probe without a result yet is not healthy
    [
      "probe unknown",
      endpoint(),
      { k0: ok, k1: probeState(false, "", false) },
      false,
      { healthy: false, ready: false, serving: false, terminating: false },
    ],
    // a probe without a worker state at all is not healthy either
    [
      "probe missing",
      endpoint(),
      { k0: ok },
      false,
      { healthy: false, ready: false, serving: false, terminating: false },
    ],
    // a static failure (e.g. unresolvable port) blocks readiness
    [
      "static failure",
      endpoint({ failures: [{ probe: "TCP:10.0.0.1:smtp", reason: "x" }] }),
      { k0: ok, k1: ok },
      false,
      { healthy: false, ready: false, serving: false, terminating: false },
    ],
  ])("%s", (_name, ep, s, publishNotReady, want) => {
    const verdict = evaluateEndpoint(ep, states(s), publishNotReady);
    expect({ healthy: verdict.healthy, ...verdict.conditions }).toEqual(want);
    expect(verdict.failures.length === 0).toBe(verdict.healthy);
  });

  it("lists what fails, sorted by probe, with reasons", () => {
    const verdict = evaluateEndpoint(
      endpoint({
        podReady: false,
        requirePodReady: true,
        failures: [{ probe: "ServicePort:web", reason: "unresolved" }],
      }),
      states({ k0: down, k1: probeState(false, "", false) }),
      false,
    );
    expect(verdict.failures).toEqual([
      { probe: "HTTP:10.0.0.1:8080", reason: PROBE_PENDING_REASON },
      POD_NOT_READY,
      { probe: "ServicePort:web", reason: "unresolved" },
      { probe: "TCP:10.0.0.1:5432", reason: "connect ECONNREFUSED" },
    ]);
  });

  it("reports the latest probe time", () => {
    const early = { ...ok, lastProbeAt: new Date("2024-01-01T00:00:01Z") };
    const late = { ...ok, lastProbeAt: new Date("2024-01-01T00:00:05Z") };
    expect(
      evaluateEndpoint(endpoint(), states({ k0: late, k1: early }), false).lastProbeAt,
    ).toEqual(late.lastProbeAt);
  });
});
