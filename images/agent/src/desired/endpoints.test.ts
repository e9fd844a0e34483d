// Desired state from the caches: which endpoints and probe workers the node should have.
import { pod, swh } from "../../../../tests/agent/fixtures.js";
import type { CredentialsResult } from "./credentials.js";
import {
  computeDesired,
  endpointKeyOfWorkerKey,
  swhUidOfWorkerKey,
  workerKey,
  type DesiredInput,
} from "./endpoints.js";

const noSecrets = (): CredentialsResult | "pending" => ({ error: "no Secret" });

function desired(o: Partial<DesiredInput>) {
  return computeDesired({ swhs: [], pods: [], credentials: noSecrets, ...o });
}

describe("computeDesired", () => {
  it("makes one endpoint per matching candidate pod and one worker per probe", () => {
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
    const pods = [
      pod({ name: "db-1", ips: ["10.0.0.2"] }),
      pod({ name: "db-0", ips: ["10.0.0.1"] }),
      pod({ name: "other", labels: { app: "web" } }),
      pod({ name: "elsewhere", namespace: "other-ns" }),
      pod({ name: "done", phase: "Succeeded" }),
      pod({ name: "no-ip", ips: [] }),
    ];
    const d = desired({ swhs: [s], pods });
    const endpoints = d.swhs.get(s.uid)!.endpoints;
    expect(endpoints.map(e => [e.pod.name, e.address])).toEqual([
      ["db-0", "10.0.0.1"],
      ["db-1", "10.0.0.2"],
    ]);
    expect(d.workers.map(w => w.key)).toEqual([
      workerKey(s.uid, "uid-db-0", "10.0.0.1", 0),
      workerKey(s.uid, "uid-db-0", "10.0.0.1", 1),
      workerKey(s.uid, "uid-db-1", "10.0.0.2", 0),
      workerKey(s.uid, "uid-db-1", "10.0.0.2", 1),
    ]);
    expect(d.workers[1]).toMatchObject({
      address: "10.0.0.1",
      probe: { mode: "HTTP", port: 8008, path: "/primary" },
      periodMs: 10_000,
      timeoutMs: 1_000,
      initialDelayMs: 10_000,
      successThreshold: 1,
      failureThreshold: 3,
      podStartedAt: new Date("2024-01-01T00:00:00Z"),
    });
    expect(d.workers[0]).not.toHaveProperty("initialHealthy");
  });

  it("withdraws an SWH whose child Service is in conflict (no endpoints, no workers)", () => {
    const d = desired({ swhs: [swh({ conflict: true })], pods: [pod({ name: "db-0" })] });
    expect(d.swhs.size).toBe(0);
    expect(d.workers).toEqual([]);
  });

  it("keeps an SWH without matching pods, with no endpoints (its slices get deleted)", () => {
    const s = swh();
    const d = desired({ swhs: [s], pods: [pod({ name: "web", labels: { app: "web" } })] });
    expect(d.swhs.get(s.uid)?.endpoints).toEqual([]);
  });

  it("makes one endpoint per address family of a dual-stack pod", () => {
    const s = swh();
    const d = desired({ swhs: [s], pods: [pod({ name: "db-0", ips: ["10.0.0.1", "fd00::1"] })] });
    expect(d.swhs.get(s.uid)!.endpoints.map(e => [e.family, e.address])).toEqual([
      ["IPv4", "10.0.0.1"],
      ["IPv6", "fd00::1"],
    ]);
    expect(d.workers.map(w => w.address)).toEqual(["10.0.0.1", "fd00::1"]);
  });

  it("publishes only the Service's families when they are known", () => {
    const s = swh({ spec: { ipFamilies: ["IPv6"] } });
    const d = desired({ swhs: [s], pods: [pod({ name: "db-0", ips: ["10.0.0.1", "fd00::1"] })] });
    expect(d.swhs.get(s.uid)!.endpoints.map(e => e.address)).toEqual(["fd00::1"]);
  });

  it("resolves a named targetPort per pod, and fails an endpoint whose pod lacks it", () => {
    const s = swh({
      spec: {
        ports: [
          { name: "web", port: 80, targetPort: "http" },
          { name: "smtp", port: 25, targetPort: 2525 },
        ],
        healthcheck: { probes: [{ mode: "TCP", tcp: { targetPort: "http" } }] },
      },
    });
    const pods = [
      pod({ name: "a", ips: ["10.0.0.1"], ports: [{ name: "http", containerPort: 8080 }] }),
      pod({ name: "b", ips: ["10.0.0.2"], ports: [{ name: "http", containerPort: 8081 }] }),
      pod({ name: "c", ips: ["10.0.0.3"] }),
    ];
    const [a, b, c] = desired({ swhs: [s], pods }).swhs.get(s.uid)!.endpoints;
    expect(a!.ports).toEqual([
      { name: "web", protocol: "TCP", port: 8080 },
      { name: "smtp", protocol: "TCP", port: 2525 },
    ]);
    expect(b!.ports[0]).toEqual({ name: "web", protocol: "TCP", port: 8081 });
    expect(c!.ports).toEqual([{ name: "smtp", protocol: "TCP", port: 2525 }]);
    expect(c!.probes).toEqual([]);
    expect(c!.failures.map(f => f.probe)).toEqual(["ServicePort:web", "TCP:10.0.0.3:http"]);
  });

  it("asks only for the Secrets of SWHs that have endpoints on this node", () => {
    const probes = (secret: string) => ({
      healthcheck: {
        probes: [
          { mode: "PostgreSQL" as const, postgreSQL: { targetPort: 5432, authSecretName: secret } },
        ],
      },
    });
    const used = swh({ name: "read", spec: probes("cred-secret") });
    const unused = swh({
      name: "other",
      spec: { ...probes("other-secret"), selector: { app: "none" } },
    });
    const d = desired({ swhs: [used, unused], pods: [pod({ name: "db-0" })] });
    expect([...d.secrets]).toEqual(["ns/cred-secret"]);
  });

  it("gives workers the adopted health as initialHealthy", () => {
    const s = swh();
    const d = desired({
      swhs: [s],
      pods: [pod({ name: "db-0" })],
      adoptedHealthy: (key, name) =>
        name === "TCP:10.0.0.1:5432" && key.startsWith(s.uid) ? true : undefined,
    });
    expect(d.workers[0]?.initialHealthy).toBe(true);
  });

  it("is deterministic", () => {
    const input = {
      swhs: [swh(), swh({ name: "b" })],
      pods: [pod({ name: "y" }), pod({ name: "x" })],
    };
    expect(JSON.stringify(desired(input).workers)).toBe(
      JSON.stringify(desired({ ...input, pods: [...input.pods].reverse() }).workers),
    );
  });
});

describe("worker keys", () => {
  it("carry the SWH uid and the endpoint key", () => {
    const key = workerKey("swh-uid", "pod-uid", "fd00::1", 2);
    expect(swhUidOfWorkerKey(key)).toBe("swh-uid");
    expect(endpointKeyOfWorkerKey(key)).toBe("swh-uid|pod-uid|fd00::1");
  });
});
