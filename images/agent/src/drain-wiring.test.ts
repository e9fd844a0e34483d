// The places a drain passes through besides the syncer: the pod filter keeps the parsed
// annotation, an annotation-only change of a pod changes its SWH's desired fingerprint (so the
// agent re-syncs at once), a probe worker's snapshot carries its last raw result (what ends a
// drain), a restarted agent adopts a drain from the published report, invalid entries are warned
// about once per pod and value, and the gauge is exported.

import { ANNOTATION_DRAIN_FROM, ANNOTATION_ENDPOINT_REPORTS } from "../../../api/contract.js";
import { encodeReports } from "../../../api/endpoint-reports.js";
import { pod, rawPod, swh } from "../../../tests/agent/fixtures.js";
import { adoptFromSlices } from "./adoption.js";
import { computeDesired } from "./desired/endpoints.js";
import { podSnapshot } from "./desired/pods.js";
import { DrainWarnings } from "./drain-warnings.js";
import { createLogger } from "./log.js";
import { AgentMetrics } from "./metrics.js";
import { applyResult } from "./scheduler/thresholds.js";
import { newWorker, snapshot } from "./scheduler/worker.js";
import { DesiredChanges } from "./sync/desired-changes.js";
import type { RawEndpointSlice } from "swh-kube-client";

const annotated = (value: string) => ({ [ANNOTATION_DRAIN_FROM]: value });

describe("the pod filter", () => {
  it("keeps the parsed drain annotation, and nothing for a pod without one", () => {
    const raw = rawPod({ name: "p", annotations: annotated("web, *,Bad Name") });
    expect(podSnapshot(raw)?.drainFrom).toEqual({
      all: true,
      names: ["web"],
      invalid: ["Bad Name"],
    });
    expect(podSnapshot(rawPod({ name: "p" }))).not.toHaveProperty("drainFrom");
    expect(podSnapshot(rawPod({ name: "p", annotations: annotated(" ") }))).not.toHaveProperty(
      "drainFrom",
    );
  });
});

describe("an annotation-only change", () => {
  it("changes the desired fingerprint of the SWHs it names, and only theirs", () => {
    const web = swh({ name: "web", uid: "uid-web" });
    const smtp = swh({ name: "smtp", uid: "uid-smtp" });
    const desired = (annotations?: Record<string, string>) =>
      computeDesired({
        swhs: [web, smtp],
        pods: [pod({ name: "vm", ...(annotations ? { annotations } : {}) })],
        credentials: () => ({ error: "no Secret" }),
      }).swhs;
    const changes = new DesiredChanges();
    changes.changed(desired());
    expect(changes.changed(desired({ unrelated: "x" }))).toEqual([]);
    expect(changes.changed(desired(annotated("web")))).toEqual(["uid-web"]);
    expect(changes.changed(desired(annotated(" web ")))).toEqual([]);
    expect(changes.changed(desired())).toEqual(["uid-web"]);
  });
});

describe("a worker's snapshot", () => {
  it("carries the last raw result, also below a threshold", () => {
    const w = newWorker(
      {
        key: "k",
        address: "10.0.0.1",
        probe: { mode: "TCP", port: 80 },
        periodMs: 1_000,
        timeoutMs: 500,
        initialDelayMs: 0,
        successThreshold: 1,
        failureThreshold: 3,
        initialHealthy: true,
      },
      0,
      () => undefined,
    );
    expect(snapshot(w)).not.toHaveProperty("lastOk");
    w.state = applyResult(w.state, false, "HTTP 503", { successThreshold: 1, failureThreshold: 3 });
    expect(snapshot(w)).toMatchObject({ healthy: true, lastOk: false });
  });
});

describe("adoption after a restart", () => {
  it("adopts a drain from the published report, and the probes as healthy", () => {
    const slice: RawEndpointSlice = {
      metadata: {
        name: "s",
        namespace: "ns",
        annotations: {
          [ANNOTATION_ENDPOINT_REPORTS]: encodeReports([
            {
              pod: "p",
              address: "10.0.0.1",
              ready: false,
              failedProbes: [{ probe: "Drain", reason: "drained" }],
              drained: true,
            },
          ]),
        },
        ownerReferences: [
          {
            apiVersion: "v",
            kind: "ServiceWithHealthchecks",
            name: "web",
            uid: "u",
            controller: true,
          },
        ],
      },
      addressType: "IPv4",
      endpoints: [
        {
          addresses: ["10.0.0.1"],
          conditions: { ready: false, serving: false },
          targetRef: { kind: "Pod", name: "p", namespace: "ns", uid: "pu" },
        },
      ],
    };
    const adopted = adoptFromSlices([slice]).get("u|pu|10.0.0.1");
    expect(adopted).toMatchObject({ healthy: false, drained: true });
    expect([...(adopted?.failed?.keys() ?? [])]).toEqual(["Drain"]);
  });
});

describe("DrainWarnings", () => {
  it("warns once per pod and set of invalid entries", () => {
    const lines: string[] = [];
    const warnings = new DrainWarnings(
      createLogger({ level: "warn", sink: line => void lines.push(line) }),
    );
    const p = (value: string) => pod({ name: "p", annotations: annotated(value) });
    warnings.upsert(p("web,Bad"));
    warnings.upsert(p("web,Bad"));
    warnings.upsert(p("Bad, smtp"));
    expect(lines).toHaveLength(1);
    warnings.upsert(p("Worse"));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/Worse/);
    warnings.delete(p("Worse"));
    warnings.upsert(p("Worse"));
    expect(lines).toHaveLength(3);
  });
});

describe("the drained gauge", () => {
  it("is exported with namespace and name labels", async () => {
    const metrics = new AgentMetrics(false);
    metrics.drainedEndpoints.labels("ns", "web").set(1);
    const { body } = await metrics.render();
    expect(body).toContain('swh_agent_drained_endpoints{namespace="ns",name="web"} 1');
  });
});
