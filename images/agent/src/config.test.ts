// Configuration: flags over environment, defaults, and every problem reported at once.
import { parseBind, parseConfig, parseDuration, usage } from "./config.js";

function config(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const result = parseConfig(argv, env);
  if (result.kind !== "config") throw new Error(`expected a config, got ${JSON.stringify(result)}`);
  return result.config;
}

function errors(argv: string[], env: NodeJS.ProcessEnv = {}): readonly string[] {
  const result = parseConfig(argv, env);
  if (result.kind !== "error") throw new Error(`expected errors, got ${JSON.stringify(result)}`);
  return result.errors;
}

describe("parseConfig", () => {
  it("applies the defaults", () => {
    expect(config(["--node-name", "node-a"])).toEqual({
      nodeName: "node-a",
      namespace: "d8-service-with-healthchecks",
      healthBind: { host: "", port: 9873 },
      metricsBind: { host: "127.0.0.1", port: 9874 },
      maxConcurrentProbes: 1000,
      leaseDurationMs: 40_000,
      leaseRenewIntervalMs: 10_000,
      writeCoalesceMs: 20,
      resyncIntervalMs: 600_000,
      logLevel: "info",
      verboseStatus: false,
    });
  });

  it("reads the environment, and flags win over it", () => {
    const env = {
      NODE_NAME: "from-env",
      POD_NAMESPACE: "swh",
      KUBECONFIG: "/tmp/kc",
      LOG_LEVEL: "Debug",
      VERBOSE_STATUS: "true",
      LEASE_DURATION: "20",
      MAX_CONCURRENT_PROBES: "50",
    };
    expect(config([], env)).toMatchObject({
      nodeName: "from-env",
      namespace: "swh",
      kubeconfig: "/tmp/kc",
      logLevel: "debug",
      verboseStatus: true,
      leaseDurationMs: 20_000,
      maxConcurrentProbes: 50,
    });
    expect(
      config(["--node-name=flag", "--verbose-status=false", "--log-level", "warn"], env),
    ).toMatchObject({
      nodeName: "flag",
      verboseStatus: false,
      logLevel: "warn",
    });
  });

  it.each([
    [
      ["--lease-duration", "1m", "--lease-renew-interval", "15s"],
      { leaseDurationMs: 60_000, leaseRenewIntervalMs: 15_000 },
    ],
    [["--write-coalesce-ms", "0"], { writeCoalesceMs: 0 }],
    [
      ["--metrics-bind", "[::1]:9100", "--health-bind", "0.0.0.0:0"],
      { metricsBind: { host: "::1", port: 9100 }, healthBind: { host: "0.0.0.0", port: 0 } },
    ],
    [["--verbose-status"], { verboseStatus: true }],
    [["--resync-interval", "30s"], { resyncIntervalMs: 30_000 }],
  ])("%j gives %j", (argv, want) => {
    expect(config(["--node-name", "n", ...argv])).toMatchObject(want);
  });

  it.each([
    [[], "--node-name (or $NODE_NAME) is required"],
    [["--node-name", "Node_A"], '--node-name: "Node_A" is not a valid node name'],
    [["--node-name", "n", "--bogus"], 'unknown argument "--bogus"'],
    [["--node-name", "n", "extra"], 'unknown argument "extra"'],
    [["--node-name"], "--node-name needs a value"],
    [
      ["--node-name", "n", "--max-concurrent-probes", "0"],
      "--max-concurrent-probes: must be between 1 and 100000, got 0",
    ],
    [
      ["--node-name", "n", "--max-concurrent-probes", "ten"],
      '--max-concurrent-probes: expected an integer, got "ten"',
    ],
    [["--node-name", "n", "--lease-duration", "3s"], "--lease-duration: must be at least 5s"],
    [
      ["--node-name", "n", "--lease-renew-interval", "30s"],
      "--lease-renew-interval: must be at most half of --lease-duration",
    ],
    [
      ["--node-name", "n", "--health-bind", "9873"],
      '--health-bind: expected [host]:port, got "9873"',
    ],
    [
      ["--node-name", "n", "--log-level", "loud"],
      '--log-level: unknown level "loud" (debug, info, warn, error)',
    ],
    [
      ["--node-name", "n", "--verbose-status=maybe"],
      '--verbose-status: expected true or false, got "maybe"',
    ],
    [
      ["--node-name", "n", "--write-coalesce-ms", "soon"],
      '--write-coalesce-ms: expected a duration like 10s, 1m or 500ms, got "soon"',
    ],
  ])("%j is rejected with %j", (argv, message) => {
    expect(errors(argv)).toContain(message);
  });

  it("reports every problem at once", () => {
    expect(errors(["--lease-duration", "x", "--log-level", "y"])).toHaveLength(3);
  });

  it("answers --help with the usage text, listing every flag and its variable", () => {
    const result = parseConfig(["--node-name", "n", "--help"], {});
    expect(result).toEqual({ kind: "help", text: usage() });
    expect(usage()).toContain("--node-name");
    expect(usage()).toContain("$NODE_NAME");
    expect(usage()).toContain("--write-coalesce-ms");
  });
});

describe("parseDuration", () => {
  it.each([
    ["500ms", 1000, 500],
    ["10s", 1000, 10_000],
    ["1.5m", 1000, 90_000],
    ["1h", 1000, 3_600_000],
    ["40", 1000, 40_000],
    ["20", 1, 20],
  ])("%s (bare unit %d ms) = %d ms", (text, unit, ms) => {
    expect(parseDuration(text, unit)).toBe(ms);
  });
});

describe("parseBind", () => {
  it.each([
    [":9873", { host: "", port: 9873 }],
    ["127.0.0.1:9874", { host: "127.0.0.1", port: 9874 }],
    ["[::]:80", { host: "::", port: 80 }],
    ["localhost:1", { host: "localhost", port: 1 }],
  ])("%s", (text, want) => {
    expect(parseBind(text)).toEqual(want);
  });

  it.each(["", "host", ":99999", "::1:80", "[::1]"])("%j is an error", text => {
    expect(typeof parseBind(text)).toBe("string");
  });
});
