// The agent's probing stack end to end on real time: the ProbeScheduler driving the real TCP,
// HTTP and HTTPS probers against real servers on loopback (the HTTPS one with a CA made by the
// test), flipping endpoints as the servers go down and come back, with thresholds applied and
// onChange fired exactly once per transition.

import { jest } from "@jest/globals";
import { createProbers, type ProberSet } from "../../images/agent/src/probes/index.js";
import type { ProbeSpec } from "../../images/agent/src/probes/types.js";
import { ProbeScheduler } from "../../images/agent/src/scheduler/scheduler.js";
import type { ProbeState, WorkerSpec } from "../../images/agent/src/scheduler/types.js";
import { startHttpServer, type TestHttpServer } from "../support/http-server.js";
import { startTcpServer } from "../support/tcp-server.js";
import { createTestPki, type TestPki } from "../support/tls.js";

const PERIOD = 100;

type Transition = { key: string; healthy: boolean; known: boolean; reason: string; at: number };

function harness() {
  const probers: ProberSet = createProbers();
  const transitions: Transition[] = [];
  const waiters: Array<() => void> = [];
  const scheduler = new ProbeScheduler({
    probers: probers.probers,
    maxConcurrent: 64,
    onChange: (key: string, state: ProbeState) => {
      transitions.push({
        key,
        healthy: state.healthy,
        known: state.known,
        reason: state.reason,
        at: Date.now(),
      });
      for (const wake of waiters.splice(0)) wake();
    },
  });
  /** Resolves when `key` reaches the given state (checked on every change). */
  const until = async (key: string, healthy: boolean, timeoutMs = 5_000): Promise<ProbeState> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = scheduler.state(key);
      if (state?.known === true && state.healthy === healthy) return state;
      if (Date.now() > deadline)
        throw new Error(`${key} did not become healthy=${healthy}: ${JSON.stringify(state)}`);
      await new Promise<void>(resolve => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  };
  const close = async () => {
    await scheduler.stop();
    probers.close();
  };
  return { scheduler, transitions, until, close };
}

function worker(
  key: string,
  address: string,
  probe: ProbeSpec,
  overrides: Partial<WorkerSpec> = {},
): WorkerSpec {
  return {
    key,
    address,
    probe,
    periodMs: PERIOD,
    timeoutMs: 500,
    initialDelayMs: 0,
    successThreshold: 1,
    failureThreshold: 2,
    ...overrides,
  };
}

function httpProbe(
  port: number,
  overrides: Partial<Extract<ProbeSpec, { mode: "HTTP" }>> = {},
): ProbeSpec {
  return {
    mode: "HTTP",
    port,
    path: "/health",
    headers: [],
    method: "GET",
    scheme: "HTTP",
    insecureSkipTLSVerify: false,
    expectedStatusCodes: [],
    ...overrides,
  };
}

describe("ProbeScheduler with real probers and servers", () => {
  jest.setTimeout(30_000);
  let pki: TestPki;
  let http: TestHttpServer;
  let https: TestHttpServer;

  beforeAll(async () => {
    pki = await createTestPki("scheduler test CA");
    const cert = await pki.issue({
      commonName: "web.example",
      dnsNames: ["web.example"],
      ipAddresses: ["127.0.0.1"],
    });
    http = await startHttpServer();
    https = await startHttpServer({ tls: cert });
  });
  afterAll(async () => {
    await Promise.all([http.close(), https.close(), pki.dispose()]);
  });

  it("TCP: healthy, then unhealthy after failureThreshold when the listener closes, then back", async () => {
    const h = harness();
    const tcp = await startTcpServer("127.0.0.1");
    const port = tcp.port;
    try {
      h.scheduler.sync([worker("tcp", "127.0.0.1", { mode: "TCP", port })]);
      await h.until("tcp", true);
      await tcp.close();
      const down = await h.until("tcp", false);
      expect(down.reason).toBe("connect ECONNREFUSED");
      const again = await startTcpServer("127.0.0.1", port);
      try {
        await h.until("tcp", true);
      } finally {
        await again.close();
      }
      expect(h.transitions.map(t => [t.healthy, t.reason])).toEqual([
        [true, ""],
        [false, "connect ECONNREFUSED"],
        [true, ""],
      ]);
    } finally {
      await h.close();
    }
  });

  it("HTTP: follows /health through 503 and back, one onChange per transition", async () => {
    const h = harness();
    try {
      http.setHealth(200);
      h.scheduler.sync([worker("web", "127.0.0.1", httpProbe(http.port))]);
      await h.until("web", true);
      http.setHealth(503);
      const down = await h.until("web", false);
      expect(down.reason).toBe("HTTP 503");
      http.setHealth(200);
      await h.until("web", true);
      // let a few more periods pass: steady state reports nothing
      await new Promise(resolve => setTimeout(resolve, 4 * PERIOD));
      expect(h.transitions.map(t => [t.healthy, t.reason])).toEqual([
        [true, ""],
        [false, "HTTP 503"],
        [true, ""],
      ]);
    } finally {
      http.setHealth(200);
      await h.close();
    }
  });

  it("HTTPS with the test CA: healthy with caCert, unhealthy with the wrong host name", async () => {
    const h = harness();
    try {
      const good = httpProbe(https.port, {
        scheme: "HTTPS",
        caCert: pki.caCert,
        host: "web.example",
      });
      const badName = httpProbe(https.port, {
        scheme: "HTTPS",
        caCert: pki.caCert,
        host: "db.example",
      });
      h.scheduler.sync([worker("good", "127.0.0.1", good), worker("bad", "127.0.0.1", badName)]);
      await h.until("good", true);
      const bad = await h.until("bad", false);
      expect(bad.reason).toBe("TLS ERR_TLS_CERT_ALTNAME_INVALID");
      // SNI carried the host name
      expect(https.requests.some(r => r.servername === "web.example")).toBe(true);
    } finally {
      await h.close();
    }
  });

  it("keeps an adopted healthy endpoint healthy across a brief blip below the threshold", async () => {
    const h = harness();
    try {
      http.setHealth(200);
      h.scheduler.sync([
        worker("adopted", "127.0.0.1", httpProbe(http.port), {
          initialHealthy: true,
          failureThreshold: 5,
        }),
      ]);
      await new Promise(resolve => setTimeout(resolve, 2 * PERIOD));
      http.setHealth(500);
      await new Promise(resolve => setTimeout(resolve, 2 * PERIOD));
      http.setHealth(200);
      await new Promise(resolve => setTimeout(resolve, 3 * PERIOD));
      expect(h.scheduler.state("adopted")).toMatchObject({ healthy: true, known: true });
      expect(h.transitions).toEqual([]);
    } finally {
      http.setHealth(200);
      await h.close();
    }
  });
});
