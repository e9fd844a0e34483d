// Unit tests of the traffic tests' pure parts: the load client's request validation and backend
// attribution, seed 002's outcome (what the client saw after a backend failed), and when the real
// DaemonSet controller's status says a rollout is finished.
import {
  backendOf,
  greetingOf,
  loadRequest,
  type LoadReport,
} from "../../cluster/backends/load.js";
import { failoverOutcome } from "../../cluster/scenario/seed002.js";
import { rolloutPending } from "../../cluster/world/real-nodes.js";

describe("load client", () => {
  it("names the pod that answered", () => {
    expect(backendOf("web web-2: ok\n")).toBe("web-2");
    expect(backendOf("web web-2: unhealthy\n")).toBe("web-2");
    expect(backendOf("garbage")).toBeUndefined();
  });

  it("reads who greeted from an SMTP-like greeting", () => {
    expect(greetingOf("220 vm-1 smtp ESMTP ready\r\n")).toEqual({ code: 220, backend: "vm-1" });
    expect(greetingOf("421 busy\r\n")).toEqual({ code: 421, backend: "busy" });
    expect(greetingOf("hello")).toBeUndefined();
  });

  it("accepts a complete request and refuses a bad one", () => {
    expect(loadRequest({ url: "tcp://10.96.0.25:25", durationMs: 1, ratePerSecond: 1 }).url).toBe(
      "tcp://10.96.0.25:25",
    );
    expect(loadRequest({ url: "http://10.96.0.10/", durationMs: 1000, ratePerSecond: 5 })).toEqual({
      url: "http://10.96.0.10/",
      durationMs: 1000,
      ratePerSecond: 5,
      timeoutMs: 2000,
    });
    expect(() => loadRequest({ url: "ftp://x", durationMs: 1, ratePerSecond: 1 })).toThrow(/url/);
    expect(() => loadRequest({ url: "http://x/", durationMs: 0, ratePerSecond: 1 })).toThrow(
      /positive/,
    );
  });
});

describe("seed 002 outcome", () => {
  const report = (samples: LoadReport["samples"]): LoadReport => ({
    startedAt: 0,
    sent: samples.length,
    ok: samples.filter(s => s.status === 200).length,
    failed: samples.filter(s => s.status !== 200).length,
    samples,
  });

  it("counts what reached the failing backend after it failed, and until when", () => {
    const outcome = failoverOutcome(
      report([
        { at: 100, backend: "web-1", status: 200 },
        { at: 1000, backend: "web-1", status: 503 },
        { at: 1100, backend: "web-2", status: 200 },
        { at: 2500, backend: "web-1", status: 503 },
        { at: 3000, backend: "web-2", status: 200 },
      ]),
      "web-1",
      900,
    );
    expect(outcome).toEqual({ sent: 5, failed: 2, badAfterFailure: 2, cutoverMs: 1600 });
  });

  it("attributes refused connections to the failing backend, and reports 0 when none reached it", () => {
    const refused = failoverOutcome(
      report([
        { at: 950, error: "ECONNREFUSED" },
        { at: 1200, backend: "web-2", status: 200 },
      ]),
      "web-1",
      900,
    );
    expect(refused.cutoverMs).toBe(50);
    const clean = failoverOutcome(
      report([{ at: 1200, backend: "web-2", status: 200 }]),
      "web-1",
      900,
    );
    expect(clean).toMatchObject({ badAfterFailure: 0, cutoverMs: 0 });
  });
});

describe("DaemonSet rollout", () => {
  const ds = (status: Record<string, number>, generation = 2) => ({
    metadata: { generation },
    status: { observedGeneration: generation, ...status },
  });

  it("is finished when every scheduled pod is updated and available", () => {
    const full = { desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 };
    expect(rolloutPending(ds(full), 2)).toBeUndefined();
  });

  it("says what it waits for", () => {
    expect(rolloutPending(undefined, 1)).toBe("no DaemonSet");
    expect(rolloutPending(ds({ desiredNumberScheduled: 3 }), 3)).toMatch(/generation 2 < 3/);
    expect(rolloutPending(ds({ desiredNumberScheduled: 0 }), 1)).toBe("no node scheduled");
    const partial = { desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 1 };
    expect(rolloutPending(ds(partial), 2)).toBe("1/3 available");
    expect(
      rolloutPending({ metadata: { generation: 3 }, status: { observedGeneration: 2 } }, 1),
    ).toMatch(/not seen/);
  });
});
