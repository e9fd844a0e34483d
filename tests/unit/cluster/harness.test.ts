// Unit tests of the cluster harness's pure parts (tests/cluster): module settings, the
// ModuleConfig bridge's decisions and the demo's tables. The other files of tests/unit/cluster
// test the newer parts.
import { age, endpointsView, swhTable, table, type SwhView } from "../../cluster/demo/view.js";
import { camelCaseName, closeObjects, loadModuleSchemas } from "../../cluster/module/settings.js";
import { decide } from "../../cluster/deckhouse/module-config-bridge.js";
import { endpointRows } from "../../cluster/scenario/endpoints.js";
import { repoRoot } from "../../cluster/layout.js";

describe("module settings", () => {
  it("names values keys like addon-operator", () => {
    expect(camelCaseName("service-with-healthchecks")).toBe("serviceWithHealthchecks");
  });

  it("closes object schemas that do not say otherwise", () => {
    expect(
      closeObjects({ type: "object", properties: { a: { type: "object", properties: {} } } }),
    ).toEqual({
      type: "object",
      additionalProperties: false,
      properties: { a: { type: "object", properties: {}, additionalProperties: false } },
    });
  });

  it("validates the module's settings and fills defaults", () => {
    const schemas = loadModuleSchemas(repoRoot());
    const settings: Record<string, unknown> = {
      heartbeat: { leaseDurationSeconds: 8, renewIntervalSeconds: 2 },
    };
    expect(schemas.validateSettings(settings)).toEqual([]);
    expect(settings).toMatchObject({ logLevel: "Info", agent: { maxConcurrentProbes: 1000 } });
    expect(schemas.validateSettings({ logLevel: "Loud" })[0]).toMatch(/settings.logLevel .*Debug/);
    expect(schemas.validateSettings({ nope: 1 })[0]).toMatch(/additional properties \(nope\)/);
  });

  it("bridges a ModuleConfig to the operator ConfigMap, or says why not", () => {
    const schemas = loadModuleSchemas(repoRoot());
    const ok = decide(
      { spec: { enabled: true, settings: { debug: true } } },
      "service-with-healthchecks",
      schemas,
    );
    expect(ok.data).toEqual({
      serviceWithHealthchecksEnabled: "true",
      serviceWithHealthchecks: "debug: true\n",
    });
    expect(ok.message).toBe("");
    const bad = decide(
      { spec: { enabled: true, settings: { debug: "yes" } } },
      "service-with-healthchecks",
      schemas,
    );
    expect(bad.data).toBeUndefined();
    expect(bad.message).toMatch(/settings.debug must be boolean/);
    expect(
      decide(undefined, "service-with-healthchecks", schemas).data?.serviceWithHealthchecksEnabled,
    ).toBe("false");
  });
});

describe("demo tables", () => {
  const view: SwhView = {
    swh: {
      apiVersion: "network.deckhouse.io/v1alpha1",
      kind: "ServiceWithHealthchecks",
      metadata: {
        name: "postgres-write",
        namespace: "my-ns",
        creationTimestamp: "2026-01-01T00:00:00Z",
      },
      spec: { ports: [{ port: 5432 }], selector: { app: "postgres" } },
      status: { readySummary: "1/3", clusterIP: "10.96.0.10" },
    },
    endpoints: endpointRows([
      {
        addressType: "IPv4",
        metadata: {
          name: "s",
          annotations: {
            "network.deckhouse.io/endpoint-reports": JSON.stringify([
              {
                pod: "db-1",
                address: "10.244.2.2",
                ready: false,
                failedProbes: [
                  { probe: "PostgreSQL:10.244.2.2:5432", reason: "query returned false" },
                ],
              },
            ]),
          },
        },
        endpoints: [
          {
            addresses: ["10.244.1.2"],
            conditions: { ready: true },
            nodeName: "node-1",
            targetRef: { name: "db-0" },
          },
          {
            addresses: ["10.244.2.2"],
            conditions: { ready: false },
            nodeName: "node-2",
            targetRef: { name: "db-1" },
          },
        ],
      },
    ]),
  };

  it("renders kubectl-like columns", () => {
    expect(
      table([
        ["A", "BB"],
        ["ccc", "d"],
      ]),
    ).toEqual(["A     BB", "ccc   d"]);
    expect(age("2026-01-01T00:00:00Z", Date.parse("2026-01-01T00:05:00Z"))).toBe("5m");
    const lines = swhTable([view], Date.parse("2026-01-01T00:00:30Z"));
    expect(lines[1]).toMatch(
      /^my-ns\s+postgres-write\s+ClusterIP\s+1\/3\s+10\.96\.0\.10\s+5432\/TCP\s+30s$/,
    );
    const eps = endpointsView([view]);
    expect(eps[1]).toMatch(/db-0\s+node-1\s+10\.244\.1\.2\s+yes$/);
    expect(eps[2]).toContain("PostgreSQL:10.244.2.2:5432: query returned false");
  });
});
