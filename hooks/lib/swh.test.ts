// Tests for the shared SWH snapshot: the TS filter on raw objects, the jq programs run by the
// real `jq` binary (the operator runs the same programs), the promise that filtering the jq
// output equals filtering the raw object, and the Service port reader.

import { execFileSync } from "node:child_process";
import { parse } from "yaml";
import { filterSwh, SWH_JQ_FILTER, SWH_SPEC_JQ_FILTER } from "./swh.js";
import { readServicePort } from "../../api/swh-decode.js";

/** Runs a jq program with the system jq, as the operator would, and parses its output. */
function jq(program: string, input: unknown): unknown {
  return JSON.parse(
    execFileSync("jq", ["-c", program], { input: JSON.stringify(input) }).toString(),
  );
}

/** Seed 000's postgres-write SWH as the API server returns it (server fields, status, kubectl). */
const SWH_POSTGRES_WRITE = parse(`
apiVersion: network.deckhouse.io/v1alpha1
kind: ServiceWithHealthchecks
metadata:
  name: postgres-write
  namespace: my-ns
  uid: 0b9c7a52-2f0e-4c8e-9d0c-6f0f5e3a1b11
  generation: 3
  resourceVersion: "4711"
  creationTimestamp: "2026-01-01T00:00:00Z"
  labels: { app: postgres, role: write }
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"network.deckhouse.io/v1alpha1"}'
    example.com/team: db
  managedFields:
  - manager: kubectl
    operation: Apply
spec:
  ports:
  - port: 5432
    protocol: TCP
    targetPort: 5432
  - port: 8008
    name: patroni
    targetPort: api
  selector: { app: postgres }
  type: ClusterIP
  sessionAffinity: ClientIP
  sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }
  healthcheck:
    initialDelaySeconds: 10
    periodSeconds: 10
    probes:
    - mode: PostgreSQL
      timeoutSeconds: 1
      successThreshold: 1
      failureThreshold: 3
      postgreSQL:
        targetPort: 5432
        dbName: postgres
        authSecretName: cred-secret
        query: "SELECT NOT pg_is_in_recovery()"
    - mode: HTTP
      http:
        targetPort: 8008
        path: /primary
        httpHeaders: [{ name: X-Probe, value: swh }]
        scheme: HTTPS
        expectedStatusCodes: [200, "300-399"]
status:
  observedGeneration: 2
  conditions:
  - type: Ready
    status: "True"
    reason: SomeEndpointsAreReady
    message: 1/3 endpoints ready
    lastTransitionTime: "2026-01-01T00:01:00Z"
  endpointStatuses:
  - { podName: db-0, ready: true, probesSuccessful: true }
`) as Record<string, unknown>;

/** What filterSwh keeps of SWH_POSTGRES_WRITE. */
const POSTGRES_WRITE_SNAPSHOT = {
  name: "postgres-write",
  namespace: "my-ns",
  uid: "0b9c7a52-2f0e-4c8e-9d0c-6f0f5e3a1b11",
  generation: 3,
  labels: { app: "postgres", role: "write" },
  annotations: { "example.com/team": "db" },
  spec: {
    ports: [
      { port: 5432, protocol: "TCP", targetPort: 5432 },
      { port: 8008, name: "patroni", targetPort: "api" },
    ],
    selector: { app: "postgres" },
    type: "ClusterIP",
    sessionAffinity: "ClientIP",
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
    healthcheck: {
      initialDelaySeconds: 10,
      periodSeconds: 10,
      probes: [
        {
          mode: "PostgreSQL",
          timeoutSeconds: 1,
          successThreshold: 1,
          failureThreshold: 3,
          postgreSQL: {
            targetPort: 5432,
            dbName: "postgres",
            authSecretName: "cred-secret",
            query: "SELECT NOT pg_is_in_recovery()",
          },
        },
        {
          mode: "HTTP",
          http: {
            targetPort: 8008,
            path: "/primary",
            httpHeaders: [{ name: "X-Probe", value: "swh" }],
            scheme: "HTTPS",
            expectedStatusCodes: [200, "300-399"],
          },
        },
      ],
    },
  },
  status: {
    observedGeneration: 2,
    conditions: [
      {
        type: "Ready",
        status: "True",
        reason: "SomeEndpointsAreReady",
        message: "1/3 endpoints ready",
        lastTransitionTime: "2026-01-01T00:01:00Z",
      },
    ],
  },
};

describe("filterSwh", () => {
  it("keeps identity, labels, annotations (minus last-applied), spec and conditions", () => {
    expect(filterSwh(SWH_POSTGRES_WRITE)).toEqual(POSTGRES_WRITE_SNAPSHOT);
  });

  it("gives the same snapshot from SWH_JQ_FILTER's output as from the raw object", () => {
    const filtered = jq(SWH_JQ_FILTER, SWH_POSTGRES_WRITE);
    expect(filterSwh(filtered)).toEqual(POSTGRES_WRITE_SNAPSHOT);
  });

  it("drops status (only) through SWH_SPEC_JQ_FILTER", () => {
    const filtered = jq(SWH_SPEC_JQ_FILTER, SWH_POSTGRES_WRITE);
    expect(filterSwh(filtered)).toEqual({ ...POSTGRES_WRITE_SNAPSHOT, status: { conditions: [] } });
  });

  it("shrinks the object: no managedFields, endpointStatuses or last-applied in jq output", () => {
    const text = JSON.stringify(jq(SWH_JQ_FILTER, SWH_POSTGRES_WRITE));
    expect(text).not.toMatch(/managedFields|endpointStatuses|last-applied/);
  });

  it("survives jq on a minimal SWH (no labels, annotations, spec fields or status)", () => {
    const minimal = {
      apiVersion: "network.deckhouse.io/v1alpha1",
      kind: "ServiceWithHealthchecks",
      metadata: { name: "a", namespace: "n", uid: "u" },
      spec: { ports: [{ port: 80 }] },
    };
    const expected = {
      name: "a",
      namespace: "n",
      uid: "u",
      generation: 0,
      labels: {},
      annotations: {},
      spec: { ports: [{ port: 80 }] },
      status: { conditions: [] },
    };
    expect(filterSwh(jq(SWH_JQ_FILTER, minimal))).toEqual(expected);
    expect(filterSwh(minimal)).toEqual(expected);
  });

  it.each([
    // not an object at all
    [null],
    // an array
    [[{ metadata: { name: "a" } }]],
    // no uid (never true of a stored object)
    [{ metadata: { name: "a", namespace: "n" }, spec: {} }],
    // no namespace
    [{ metadata: { name: "a", uid: "u" }, spec: {} }],
    // ExternalName: rejected by the CRD, so never a real SWH
    [{ metadata: { name: "a", namespace: "n", uid: "u" }, spec: { type: "ExternalName" } }],
  ])("drops %j", obj => {
    expect(filterSwh(obj)).toBeUndefined();
  });

  it("drops malformed parts and keeps the rest", () => {
    const snapshot = filterSwh({
      metadata: { name: "a", namespace: "n", uid: "u", labels: { ok: "1", bad: 2 } },
      spec: {
        ports: [{ port: 80, protocol: "ICMP" }, { name: "no-port" }],
        ipFamilies: ["IPv4", "IPv5"],
        healthcheck: { probes: [{ mode: "Ping" }, { mode: "TCP", tcp: { targetPort: "web" } }] },
      },
      status: { conditions: [{ type: "Ready" }, "junk"] },
    });
    expect(snapshot).toEqual({
      name: "a",
      namespace: "n",
      uid: "u",
      generation: 0,
      labels: { ok: "1" },
      annotations: {},
      spec: {
        ports: [{ port: 80 }],
        ipFamilies: ["IPv4"],
        healthcheck: { probes: [{ mode: "TCP", tcp: { targetPort: "web" } }] },
      },
      status: { conditions: [] },
    });
  });
});

describe("readServicePort", () => {
  it("needs a port", () => {
    expect(readServicePort({ targetPort: 80 })).toBeUndefined();
    expect(readServicePort({ port: 80, appProtocol: "http" })).toEqual({
      port: 80,
      appProtocol: "http",
    });
  });
});
