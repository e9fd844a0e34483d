// Restart safety: the published slices become the initial probe states, so the agent's own
// first write after a restart publishes exactly what was there (zero flaps).
import { ANNOTATION_ENDPOINT_REPORTS, ANNOTATION_FENCED_AT } from "../../../api/contract.js";
import { evaluated, manyPods, NODE, swh } from "../../../tests/agent/fixtures.js";
import { adoptedProbe, adoptFromSlices } from "./adoption.js";
import { computeDesired } from "./desired/endpoints.js";
import { evaluateEndpoint } from "./desired/readiness.js";
import type { RawEndpointSlice } from "swh-kube-client";
import { buildSlices } from "./slices/build.js";
import { planSize, planSlices } from "./slices/plan.js";

const s = swh({
  spec: {
    healthcheck: {
      probes: [
        { mode: "TCP", tcp: { targetPort: 5432 } },
        { mode: "HTTP", http: { targetPort: 8008, path: "/primary" } },
      ],
    },
  },
});
const pods = manyPods(3);
/** db-00001's HTTP probe fails before the restart; everything else passes. */
const healthyBefore = (key: string) => !(key.includes("db-00001") && key.endsWith("|1"));

function publishedBefore(): RawEndpointSlice[] {
  return buildSlices({
    swh: s,
    nodeName: NODE,
    endpoints: evaluated(s, pods, healthyBefore),
    verbose: false,
  }).map(d => ({
    ...d.slice,
    metadata: { ...d.slice.metadata, resourceVersion: "7", uid: "slice-uid" },
  }));
}

describe("adoptFromSlices", () => {
  it("reads every published endpoint with its failing probes", () => {
    const adopted = adoptFromSlices(publishedBefore());
    expect(adopted.size).toBe(3);
    expect(adopted.get(`${s.uid}|uid-db-00000|10.0.0.0`)).toMatchObject({ healthy: true });
    const failing = adopted.get(`${s.uid}|uid-db-00001|10.0.0.1`);
    expect(failing?.healthy).toBe(false);
    expect([...(failing?.failed?.keys() ?? [])]).toEqual(["HTTP:10.0.0.1:8008"]);
    expect(failing?.lastTransitionTime).toBe("2024-01-01T00:00:00.000Z");
  });

  it("publishes exactly the same slices after a restart (no write, no flap)", () => {
    const published = publishedBefore();
    const adopted = adoptFromSlices(published);
    const d = computeDesired({
      swhs: [s],
      pods,
      credentials: () => ({ error: "none" }),
      adoptedHealthy: (key, name) => adoptedProbe(adopted, key, name)?.healthy,
    });
    const initial = new Map(d.workers.map(w => [w.key, w.initialHealthy]));
    const sd = d.swhs.get(s.uid)!;
    const endpoints = sd.endpoints.map(endpoint => ({
      endpoint,
      verdict: evaluateEndpoint(
        endpoint,
        key => {
          const a = adoptedProbe(
            adopted,
            key,
            endpoint.probes.find(p => p.workerKey === key)!.name,
          );
          return {
            healthy: initial.get(key)!,
            known: true,
            reason: a?.reason ?? "",
            since: new Date(0),
          };
        },
        false,
      ),
      lastTransitionTime: adopted.get(endpoint.key)?.lastTransitionTime,
    }));
    const rebuilt = buildSlices({ swh: s, nodeName: NODE, endpoints, verbose: false });
    expect(planSize(planSlices(rebuilt, published))).toBe(0);
  });

  it("does not adopt fenced slices (their conditions were forced, not measured)", () => {
    const fenced = publishedBefore().map(slice => ({
      ...slice,
      metadata: {
        ...slice.metadata,
        annotations: {
          ...slice.metadata?.annotations,
          [ANNOTATION_FENCED_AT]: "2024-01-01T00:00:00Z",
        },
      },
    }));
    expect(adoptFromSlices(fenced).size).toBe(0);
  });

  it("falls back to the serving condition without a report, and skips endpoints without a pod uid", () => {
    const [slice] = publishedBefore();
    delete slice!.metadata!.annotations![ANNOTATION_ENDPOINT_REPORTS];
    slice!.endpoints![1]!.conditions = { ready: false, serving: false, terminating: false };
    delete slice!.endpoints![2]!.targetRef!.uid;
    const adopted = adoptFromSlices([slice!]);
    expect([...adopted.values()]).toEqual([{ healthy: true }, { healthy: false }]);
  });

  it("survives an unreadable reports annotation", () => {
    const [slice] = publishedBefore();
    slice!.metadata!.annotations![ANNOTATION_ENDPOINT_REPORTS] = "{not json";
    expect(adoptFromSlices([slice!]).size).toBe(3);
  });
});

describe("adoptedProbe", () => {
  const adopted = adoptFromSlices(publishedBefore());
  it.each([
    // healthy endpoint: every probe healthy
    [`${s.uid}|uid-db-00000|10.0.0.0|1`, "HTTP:10.0.0.0:8008", { healthy: true, reason: "" }],
    // unhealthy endpoint: the failing probe is unhealthy with its reason...
    [
      `${s.uid}|uid-db-00001|10.0.0.1|1`,
      "HTTP:10.0.0.1:8008",
      { healthy: false, reason: "probe failed" },
    ],
    // ...and its other probes are healthy
    [`${s.uid}|uid-db-00001|10.0.0.1|0`, "TCP:10.0.0.1:5432", { healthy: true, reason: "" }],
    // endpoint never published: nothing adopted
    [`${s.uid}|uid-new|10.0.0.9|0`, "TCP:10.0.0.9:5432", undefined],
  ])("%s (%s) -> %j", (key, name, want) => {
    expect(adoptedProbe(adopted, key, name)).toEqual(want);
  });
});
