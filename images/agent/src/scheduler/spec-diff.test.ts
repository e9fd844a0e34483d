// What sync() does with a changed spec: nothing, re-time, or restart.

import { classifyChange, deepEqual } from "./spec-diff.js";
import type { WorkerSpec } from "./types.js";

const base: WorkerSpec = {
  key: "k",
  address: "10.0.0.1",
  probe: {
    mode: "HTTP",
    port: 8080,
    path: "/healthz",
    headers: [{ name: "X", value: "1" }],
    method: "GET",
    scheme: "HTTP",
    insecureSkipTLSVerify: false,
    expectedStatusCodes: [],
  },
  periodMs: 10_000,
  timeoutMs: 1_000,
  initialDelayMs: 0,
  podStartedAt: new Date(1_000),
  successThreshold: 1,
  failureThreshold: 3,
};

describe("classifyChange", () => {
  it.each<[string, Partial<WorkerSpec>, string]>([
    // an equal copy (new objects, same values) is no change
    ["equal copy", { probe: structuredClone(base.probe), podStartedAt: new Date(1_000) }, "none"],
    // adoption hints only matter when a worker starts
    ["initialHealthy only", { initialHealthy: true }, "none"],
    ["period", { periodMs: 5_000 }, "timing"],
    ["timeout", { timeoutMs: 2_000 }, "timing"],
    ["thresholds", { failureThreshold: 5 }, "timing"],
    ["fast re-check interval", { recheckMs: 500 }, "timing"],
    ["initial delay", { initialDelayMs: 3_000 }, "timing"],
    ["pod start", { podStartedAt: new Date(2_000) }, "timing"],
    ["address", { address: "10.0.0.2" }, "target"],
    ["port", { probe: { ...base.probe, port: 9090 } }, "target"],
    [
      "header",
      { probe: { ...base.probe, headers: [{ name: "X", value: "2" }] } as WorkerSpec["probe"] },
      "target",
    ],
    ["mode", { probe: { mode: "TCP", port: 8080 } }, "target"],
  ])("%s -> %s", (_, change, expected) => {
    expect(classifyChange(base, { ...base, ...change })).toBe(expected);
  });
});

describe("deepEqual", () => {
  it.each<[unknown, unknown, boolean]>([
    [{ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, true],
    [{ a: 1 }, { a: 1, b: undefined }, true],
    [[1, 2], [2, 1], false],
    [[], {}, false],
    [null, {}, false],
    ["1", 1, false],
  ])("%j vs %j -> %s", (a, b, expected) => {
    expect(deepEqual(a, b)).toBe(expected);
  });
});
