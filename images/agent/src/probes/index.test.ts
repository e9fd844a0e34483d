// Prober registry and dispatch.

import { startTcpServer } from "../../../../tests/support/tcp-server.js";
import { createProbers, describeProbe, runProbe } from "./index.js";
import type { Prober } from "./types.js";

describe("createProbers", () => {
  it("has one prober per mode and dispatches by mode", async () => {
    const set = createProbers();
    const server = await startTcpServer();
    try {
      expect(Object.keys(set.probers).sort()).toEqual(["GRPC", "HTTP", "PostgreSQL", "TCP"]);
      const outcome = await runProbe(
        set.probers,
        "127.0.0.1",
        { mode: "TCP", port: server.port },
        1_000,
      );
      expect(outcome.ok).toBe(true);
    } finally {
      set.close();
      await server.close();
    }
  });
});

describe("runProbe", () => {
  it("turns a prober that throws or rejects into a failure", async () => {
    const throws: Prober = () => {
      throw new Error("sync boom");
    };
    const rejects: Prober = () => Promise.reject(new Error("async boom"));
    const probers = { TCP: throws, HTTP: rejects, PostgreSQL: rejects, GRPC: rejects };
    expect(await runProbe(probers, "10.0.0.1", { mode: "TCP", port: 1 }, 10)).toMatchObject({
      ok: false,
      reason: "prober error: sync boom",
    });
    const http = {
      mode: "HTTP" as const,
      port: 1,
      path: "/",
      headers: [],
      method: "GET" as const,
      scheme: "HTTP" as const,
      insecureSkipTLSVerify: false,
      expectedStatusCodes: [],
    };
    expect(await runProbe(probers, "10.0.0.1", http, 10)).toMatchObject({
      reason: "prober error: async boom",
    });
  });
});

describe("describeProbe", () => {
  it.each([
    ["10.0.0.5", "HTTP:10.0.0.5:8080"],
    ["fd00::5", "HTTP:[fd00::5]:8080"],
  ])("%s -> %s", (address, expected) => {
    const spec = {
      mode: "HTTP" as const,
      port: 8080,
      path: "/",
      headers: [],
      method: "GET" as const,
      scheme: "HTTP" as const,
      insecureSkipTLSVerify: false,
      expectedStatusCodes: [],
    };
    expect(describeProbe(address, spec)).toBe(expected);
  });
});
