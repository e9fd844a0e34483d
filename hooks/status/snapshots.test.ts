// Tests for the status hook's jqFilters, run by the real `jq` binary as the operator runs them:
// the reduced SWH keeps the whole stored status and filters like the full object; the reduced
// Service classifies and copies like the full one and is much smaller.

import { execFileSync } from "node:child_process";
import {
  classifyChildService,
  filterService,
  type ServiceSnapshot,
} from "../lib/child-service-state.js";
import { filterSwh } from "../lib/swh.js";
import {
  STATUS_SERVICE_JQ_FILTER,
  STATUS_SWH_JQ_FILTER,
  filterSwhWithStatus,
  type SwhWithStatus,
} from "./snapshots.js";
import { must, rawService, rawSwh, type Json } from "./test-fixtures.js";

describe("jq filters", () => {
  function runJq(program: string, input: unknown): unknown {
    return JSON.parse(
      execFileSync("jq", ["-c", program], { input: JSON.stringify(input) }).toString("utf8"),
    );
  }

  it("keeps only what a status depends on, and classifies like the shared SWH snapshot", () => {
    const full = rawSwh("web", { type: "LoadBalancer" });
    (full.spec as Json).clusterIP = "10.96.0.10";
    (full.spec as Json).loadBalancerClass = "metallb";
    (full.metadata as Json).labels = { app: "web" };
    (full.metadata as Json).managedFields = [{ manager: "kubectl", fieldsV1: { "f:spec": {} } }];
    const reduced = runJq(STATUS_SWH_JQ_FILTER, full) as Json;
    expect(Object.keys(reduced.metadata as Json).sort()).toEqual([
      "deletionTimestamp",
      "generation",
      "name",
      "namespace",
      "uid",
    ]);
    expect(reduced.spec).toEqual({
      type: "LoadBalancer",
      clusterIP: "10.96.0.10",
      clusterIPs: null,
      ipFamilies: null,
      loadBalancerClass: "metallb",
    });
    const light = must(filterSwhWithStatus(reduced), "reduced swh").swh;
    const shared = must(filterSwh(full), "swh");
    expect(light).toEqual({
      name: shared.name,
      namespace: shared.namespace,
      uid: shared.uid,
      generation: shared.generation,
      spec: { type: "LoadBalancer", clusterIP: "10.96.0.10", loadBalancerClass: "metallb" },
      status: shared.status,
    });
    for (const service of [
      rawService("web", { type: "LoadBalancer" }),
      rawService("web", { ownerUid: "x" }),
    ]) {
      const child = must(filterService(service), "service");
      expect(classifyChildService(light, child)).toEqual(classifyChildService(shared, child));
    }
  });

  it.each([
    // no uid: not an object the API server returned
    [{ metadata: { name: "web", namespace: "prod" } }],
    // a type the CRD rejects, as the shared filter drops it
    [{ ...rawSwh("web"), spec: { type: "ExternalName" } }],
  ])("%#: drops what the shared SWH filter drops", raw => {
    expect(filterSwhWithStatus(raw)).toBeUndefined();
    expect(filterSwh(raw)).toBeUndefined();
  });

  it("keeps spec.healthcheck.failOpen with the period's hold, and the stored decision", () => {
    const full = rawSwh("web", {
      status: { failOpen: { active: true, passingSince: "2024-05-01T09:59:00Z" } },
    });
    const healthcheck = (full.spec as { healthcheck: Json }).healthcheck;
    healthcheck.failOpen = { minPassingPercent: 40 };
    healthcheck.periodSeconds = 20;
    const reduced = runJq(STATUS_SWH_JQ_FILTER, full) as Json;
    expect((reduced.spec as Json).healthcheck).toEqual({
      failOpen: { minPassingPercent: 40 },
      periodSeconds: 20,
    });
    const light = must(filterSwhWithStatus(reduced), "reduced swh").swh;
    expect(light).toEqual(must(filterSwhWithStatus(full), "swh").swh);
    expect([light.failOpen, light.storedFailOpen]).toEqual([
      { minPassingPercent: 40, holdMs: 40_000 },
      { active: true, passingSince: "2024-05-01T09:59:00Z" },
    ]);
  });

  it("keeps the whole stored status of an SWH", () => {
    const status = { readySummary: "1/1", endpointStatuses: [{ podName: "p", ready: true }] };
    const full = rawSwh("web", { status });
    const reduced = runJq(STATUS_SWH_JQ_FILTER, full);
    expect(filterSwhWithStatus(reduced)).toEqual(filterSwhWithStatus(full));
    expect((filterSwhWithStatus(reduced) as SwhWithStatus).currentStatus).toEqual(status);
  });

  it.each([
    // ours
    [rawService("web")],
    // foreign controller
    [rawService("web", { ownerUid: "x" })],
    // no owner, adoptable
    [
      {
        ...rawService("web", { ownerUid: null }),
        metadata: {
          ...(rawService("web", { ownerUid: null }).metadata as Json),
          annotations: { "network.deckhouse.io/allow-adoption": "true", other: "y" },
        },
      },
    ],
    // ours, but a different cluster IP than the SWH asks for
    [
      {
        ...rawService("web"),
        spec: { ...(rawService("web").spec as Json), clusterIP: "10.96.0.99" },
      },
    ],
    // LoadBalancer with an ingress
    [rawService("web", { type: "LoadBalancer" })],
  ])("%#: the reduced Service classifies and copies like the full one", service => {
    const swhJson = rawSwh("web");
    (swhJson.spec as Json).clusterIP = "10.96.0.10";
    const swh = must(filterSwh(swhJson), "swh");
    const full = must(filterService(service), "service");
    const reduced = must(
      filterService(runJq(STATUS_SERVICE_JQ_FILTER, service)),
      "reduced service",
    );
    expect(classifyChildService(swh, reduced)).toEqual(classifyChildService(swh, full));
    const pick = (s: ServiceSnapshot) => [
      s.spec.type,
      s.spec.clusterIP,
      s.spec.clusterIPs,
      s.loadBalancerIngress,
      s.ownerReferences,
    ];
    expect(pick(reduced)).toEqual(pick(full));
  });

  it("is much smaller than the Service", () => {
    const service = rawService("web");
    (service.metadata as Json).managedFields = [
      { manager: "kube-controller-manager", fieldsV1: { big: "x".repeat(2000) } },
    ];
    expect(JSON.stringify(runJq(STATUS_SERVICE_JQ_FILTER, service)).length).toBeLessThan(
      JSON.stringify(service).length / 3,
    );
  });
});
