// ProbeSpec construction: CRD defaults, per-pod port resolution, credentials, and every way a
// probe can be impossible to run turning into a named failure.
import type { Probe } from "../../../../api/v1alpha1.js";
import { pod } from "../../../../tests/agent/fixtures.js";
import { buildProbe, parseStatusCodes, probeTiming, SECRET_PENDING_REASON } from "./probes.js";

const target = pod({ name: "vm", ports: [{ name: "web", containerPort: 8080 }] });
const creds = { user: "postgres", password: "example", tlsMode: "Prefer" as const };
const lookup = (name: string) =>
  name === "cred-secret"
    ? creds
    : name === "pending"
      ? ("pending" as const)
      : { error: `Secret ns/${name} not found` };

describe("buildProbe", () => {
  it("builds a TCP probe", () => {
    expect(
      buildProbe({ mode: "TCP", tcp: { targetPort: 2525 } }, target, "10.0.0.1", lookup),
    ).toEqual({
      spec: { mode: "TCP", port: 2525 },
    });
  });

  it("builds a TCP probe with a conversation", () => {
    const probe: Probe = {
      mode: "TCP",
      tcp: { targetPort: 2525, conversation: [{ expect: { prefix: "220" } }, { send: "QUIT" }] },
    };
    expect(buildProbe(probe, target, "10.0.0.1", lookup)).toEqual({
      spec: {
        mode: "TCP",
        port: 2525,
        conversation: [
          { kind: "expect", match: "prefix", text: "220" },
          { kind: "send", line: "QUIT" },
        ],
      },
    });
  });

  it("turns a malformed conversation into a named failure, not a plain TCP probe", () => {
    const probe: Probe = {
      mode: "TCP",
      tcp: { targetPort: 2525, conversation: [{ send: "QUIT" }] },
    };
    expect(buildProbe(probe, target, "10.0.0.1", lookup)).toEqual({
      failure: {
        probe: "TCP:10.0.0.1:2525",
        reason: "conversation needs at least one expect step",
      },
    });
  });

  it("applies the HTTP defaults of the seed's web probe and resolves a named port", () => {
    const probe: Probe = { mode: "HTTP", http: { targetPort: "web", path: "healthz" } };
    expect(buildProbe(probe, target, "10.0.0.1", lookup)).toEqual({
      spec: {
        mode: "HTTP",
        port: 8080,
        path: "/healthz",
        headers: [],
        method: "GET",
        scheme: "HTTP",
        insecureSkipTLSVerify: false,
        expectedStatusCodes: [],
      },
    });
  });

  it("keeps every HTTP field that is set", () => {
    const probe: Probe = {
      mode: "HTTP",
      http: {
        targetPort: 8443,
        path: "/ready",
        host: "web.example",
        httpHeaders: [{ name: "X-Probe", value: "1" }],
        method: "HEAD",
        scheme: "HTTPS",
        insecureSkipTLSVerify: true,
        caCert: "PEM",
        expectedStatusCodes: [200, "300-302"],
      },
    };
    expect(buildProbe(probe, target, "10.0.0.1", lookup)).toEqual({
      spec: {
        mode: "HTTP",
        port: 8443,
        path: "/ready",
        host: "web.example",
        headers: [{ name: "X-Probe", value: "1" }],
        method: "HEAD",
        scheme: "HTTPS",
        insecureSkipTLSVerify: true,
        caCert: "PEM",
        expectedStatusCodes: [
          [200, 200],
          [300, 302],
        ],
      },
    });
  });

  it("applies the gRPC defaults and resolves a named port", () => {
    const grpcPod = pod({ name: "api", ports: [{ name: "grpc", containerPort: 50051 }] });
    const probe: Probe = { mode: "GRPC", grpc: { targetPort: "grpc" } };
    expect(buildProbe(probe, grpcPod, "10.0.0.1", lookup)).toEqual({
      spec: {
        mode: "GRPC",
        port: 50051,
        service: "",
        scheme: "HTTP",
        insecureSkipTLSVerify: false,
      },
    });
  });

  it("keeps every gRPC field that is set", () => {
    const probe: Probe = {
      mode: "GRPC",
      grpc: { targetPort: 8443, service: "shop.v1.Orders", scheme: "HTTPS", caCert: "PEM" },
    };
    expect(buildProbe(probe, target, "10.0.0.1", lookup)).toEqual({
      spec: {
        mode: "GRPC",
        port: 8443,
        service: "shop.v1.Orders",
        scheme: "HTTPS",
        insecureSkipTLSVerify: false,
        caCert: "PEM",
      },
    });
  });

  it("names a GRPC probe without its section as GRPC:ip:?", () => {
    expect(buildProbe({ mode: "GRPC" }, target, "10.0.0.1", lookup)).toEqual({
      failure: {
        probe: "GRPC:10.0.0.1:?",
        reason: 'probe mode GRPC needs the "grpc" section with a targetPort',
      },
    });
  });

  it("builds the seed's postgres-write probe with the Secret's credentials", () => {
    const probe: Probe = {
      mode: "PostgreSQL",
      postgreSQL: {
        targetPort: 5432,
        dbName: "postgres",
        authSecretName: "cred-secret",
        query: "SELECT NOT pg_is_in_recovery()",
      },
    };
    expect(buildProbe(probe, target, "10.0.0.1", lookup)).toEqual({
      spec: {
        mode: "PostgreSQL",
        port: 5432,
        dbName: "postgres",
        query: "SELECT NOT pg_is_in_recovery()",
        credentials: creds,
      },
    });
  });

  it("defaults the query and, without a Secret, the user", () => {
    const built = buildProbe(
      { mode: "PostgreSQL", postgreSQL: { targetPort: 5432 } },
      target,
      "10.0.0.1",
      lookup,
    );
    expect(built).toEqual({
      spec: {
        mode: "PostgreSQL",
        port: 5432,
        query: "select 1",
        credentials: { user: "postgres", password: "", tlsMode: "Prefer" },
      },
    });
  });

  it("passes a missing Secret to the probe as its failure reason (fail closed)", () => {
    const built = buildProbe(
      { mode: "PostgreSQL", postgreSQL: { targetPort: 5432, authSecretName: "gone" } },
      target,
      "10.0.0.1",
      lookup,
    );
    expect(built).toMatchObject({ spec: { credentials: { error: "Secret ns/gone not found" } } });
  });

  it.each([
    // named port the pod does not declare
    [
      { mode: "TCP", tcp: { targetPort: "smtp" } },
      "10.0.0.1",
      { probe: "TCP:10.0.0.1:smtp", reason: expect.stringContaining('named port "smtp"') },
    ],
    // mode without its section
    [
      { mode: "HTTP", tcp: { targetPort: 80 } },
      "10.0.0.1",
      {
        probe: "HTTP:10.0.0.1:?",
        reason: 'probe mode HTTP needs the "http" section with a targetPort',
      },
    ],
    // port out of range (defensive: the CRD rejects it)
    [
      { mode: "TCP", tcp: { targetPort: 70000 } },
      "10.0.0.1",
      { probe: "TCP:10.0.0.1:70000", reason: "target port out of range 1-65535" },
    ],
    // malformed status list (defensive: the CRD rejects it)
    [
      { mode: "HTTP", http: { targetPort: 80, expectedStatusCodes: ["2xx"] } },
      "10.0.0.1",
      { probe: "HTTP:10.0.0.1:80", reason: 'invalid expectedStatusCodes entry "2xx"' },
    ],
    // Secret not read yet; IPv6 addresses are bracketed
    [
      { mode: "PostgreSQL", postgreSQL: { targetPort: 5432, authSecretName: "pending" } },
      "fd00::1",
      { probe: "PostgreSQL:[fd00::1]:5432", reason: SECRET_PENDING_REASON },
    ],
  ] as Array<[Probe, string, object]>)("%j on %s is the failure %j", (probe, address, failure) => {
    expect(buildProbe(probe, target, address, lookup)).toEqual({ failure });
  });
});

describe("parseStatusCodes", () => {
  it.each([
    [undefined, []],
    [[], []],
    [[204], [[204, 204]]],
    [
      ["200-299", 301],
      [
        [200, 299],
        [301, 301],
      ],
    ],
    [[" 200 - 204 "], [[200, 204]]],
  ])("%j parses to %j", (codes, ranges) => {
    expect(parseStatusCodes(codes)).toEqual(ranges);
  });

  it.each([[["abc"]], [[99]], [[600]], [["300-200"]], [["200-"]]])("%j is an error", codes => {
    expect(parseStatusCodes(codes)).toEqual({ error: expect.stringContaining("invalid") });
  });
});

describe("probeTiming", () => {
  it("applies the CRD defaults", () => {
    expect(probeTiming({ mode: "TCP" }, {})).toEqual({
      periodMs: 10_000,
      timeoutMs: 1_000,
      initialDelayMs: 10_000,
      successThreshold: 1,
      failureThreshold: 3,
    });
  });

  it("uses what is set, including an initial delay of 0", () => {
    expect(
      probeTiming(
        { mode: "TCP", timeoutSeconds: 2, successThreshold: 2, failureThreshold: 5 },
        { periodSeconds: 1, initialDelaySeconds: 0 },
      ),
    ).toEqual({
      periodMs: 1_000,
      timeoutMs: 2_000,
      initialDelayMs: 0,
      successThreshold: 2,
      failureThreshold: 5,
    });
  });

  it("carries a fast re-check interval only when it is 100 ms or more and below the period", () => {
    const recheck = (ms: number, periodSeconds?: number) =>
      probeTiming({ mode: "TCP", recheckIntervalMilliseconds: ms }, { periodSeconds }).recheckMs;
    expect(recheck(1000)).toBe(1000);
    expect(recheck(100, 1)).toBe(100);
    // below the CRD's minimum, equal to the (default) period, above the period: off
    expect(recheck(99)).toBeUndefined();
    expect(recheck(10_000)).toBeUndefined();
    expect(recheck(1500, 1)).toBeUndefined();
    expect(probeTiming({ mode: "TCP" }, {})).not.toHaveProperty("recheckMs");
  });
});
