// Unit tests of the cluster harness's pure parts (tests/cluster): pod network planning, the
// operator stand-in's protocol handling (hook configs, crontabs, jq answers, patch streams,
// values patches, the queue's backoff and rate limit, metrics groups, install order), the
// ModuleConfig bridge's decisions, the agent command line and the demo's tables. The other files
// of tests/unit/cluster test the newer parts (CEL rules, module lifecycle, rollout stand-in).
import { execFileSync } from "node:child_process";
import { agentArguments } from "../../cluster/world/agents.js";
import { age, endpointsView, swhTable, table, type SwhView } from "../../cluster/demo/view.js";
import {
  anchorAddress,
  boxId,
  chooseOctet,
  cidrSpan,
  cidrsOverlap,
  ipv6ToBigInt,
  networkNames,
  podAddresses,
  podAddressCommand,
  podNetworkPlan,
  setupCommands,
  teardownCommands,
} from "../../cluster/netns/plan.js";
import { parseCrontab } from "../../cluster/operator/cron.js";
import {
  bindingSpec,
  labelSelectorString,
  lifecycleOrder,
  parseBatchConfig,
} from "../../cluster/operator/hook-specs.js";
import { interpretAnswer, jqOnce, JqFilter, wrapFilter } from "../../cluster/operator/jq.js";
import { MetricsStore } from "../../cluster/operator/metrics.js";
import { decide } from "../../cluster/operator/module-config-bridge.js";
import { mergePatchOf, parseJsonStream } from "../../cluster/operator/patch-apply.js";
import { retryDelayMs, TokenBucket } from "../../cluster/operator/queue.js";
import { installOrder, staleRefs } from "../../cluster/operator/release.js";
import {
  applyValuesPatch,
  camelCaseName,
  closeObjects,
  loadModuleSchemas,
} from "../../cluster/module/settings.js";
import { endpointRows } from "../../cluster/scenario/endpoints.js";
import { repoRoot } from "../../cluster/layout.js";

const jqAvailable = (() => {
  try {
    execFileSync("jq", ["--version"]);
    return true;
  } catch {
    return false;
  }
})();

describe("pod network plan", () => {
  it.each([
    // the kubeadm default range is free: take it
    [["default", "192.0.2.0/24"], 244],
    // 10.244/16 routed (another box): the next one
    [["10.244.0.0/16"], 245],
    // a wider route covering both 10.244 and 10.245
    [["10.0.0.0/8"], undefined],
    // an IPv6 route overlapping fd00:10:244::/48 rules 244 out too
    [["fd00:10:244::/64"], 245],
    // a host route inside 10.246 does not matter for 244
    [["10.246.1.1"], 244],
  ] as const)("routes %j -> octet %s", (routes, want) => {
    if (want === undefined) expect(() => chooseOctet(routes, true)).toThrow(/no free pod range/);
    else expect(chooseOctet(routes, true)).toBe(want);
  });

  it("parses ranges of both families", () => {
    expect(cidrSpan("10.244.0.0/16")).toEqual([BigInt(0x0af40000), BigInt(0x0af4ffff)]);
    expect(ipv6ToBigInt("fd00:10:244::1")).toBe(
      (0xfd00n << 112n) + (0x10n << 96n) + (0x244n << 80n) + 1n,
    );
    expect(ipv6ToBigInt("10.0.0.1")).toBeUndefined();
    expect(cidrsOverlap("10.244.0.0/16", "fd00::/8")).toBe(false);
    expect(cidrsOverlap("fd00::/64", "fd00:10:244::/48")).toBe(false);
    expect(cidrsOverlap("fd00::/8", "fd00:10:244::/48")).toBe(true);
  });

  it("names interfaces within 15 characters, stably per state dir", () => {
    const id = boxId("/root/.cache/swh-testenv/run/demo");
    expect(id).toMatch(/^[0-9a-f]{6}$/);
    expect(boxId("/root/.cache/swh-testenv/run/demo")).toBe(id);
    const names = networkNames(id);
    expect(names.vethRoot.length).toBeLessThanOrEqual(15);
    expect(names.vethPod.length).toBeLessThanOrEqual(15);
    expect(() => networkNames("0123456789abcdef")).toThrow(/15 characters/);
  });

  it("gives each node a /24 and each pod a host address, IPv6 twin on request", () => {
    const plan = podNetworkPlan("abc123", 245, true);
    expect(podAddresses(plan, 2, 7, false)).toEqual({ ipv4: "10.245.2.7" });
    expect(podAddresses(plan, 2, 17, true)).toEqual({
      ipv4: "10.245.2.17",
      ipv6: "fd00:10:245:2::11",
    });
    expect(() => podAddresses(plan, 2, 1, false)).toThrow(/host/);
    expect(() => podAddresses(podNetworkPlan("abc123", 245, false), 1, 2, true)).toThrow(/IPv6/);
    expect(podAddressCommand(plan, "fd00:10:245:2::11", "add")).toEqual(
      expect.arrayContaining(["-6", "fd00:10:245:2::11/128", "nodad"]),
    );
  });

  it("keeps a permanent pod-side address so deleting the last pod keeps the return route", () => {
    const plan = podNetworkPlan("abc123", 244, false);
    const setup = setupCommands(plan).map(c => c.join(" "));
    expect(setup).toContain(
      `netns exec ${plan.netns} ip addr add ${anchorAddress(plan)}/32 dev ${plan.vethPod}`,
    );
    expect(anchorAddress(plan)).toBe("10.244.255.2");
    const teardown = teardownCommands(plan).map(c => c.join(" "));
    expect(teardown.at(-1)).toBe(`netns del ${plan.netns}`);
  });
});

describe("hook configs (addon-operator batch remap)", () => {
  it("translates selectors and event flags", () => {
    const b = bindingSpec(
      {
        name: "roles",
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        nameSelector: { matchNames: ["one"] },
        labelSelector: {
          matchLabels: { heritage: "deckhouse" },
          matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }],
        },
        namespace: { nameSelector: { matchNames: ["d8-x"] } },
        executeHookOnEvent: false,
        jqFilter: ".metadata",
      },
      "h",
    );
    expect(b).toMatchObject({
      namespaces: ["d8-x"],
      labelSelector: "heritage=deckhouse,tier in (a,b)",
      fieldSelector: "metadata.name=one",
      executeOnEvent: false,
      executeOnSynchronization: true,
    });
    expect(
      labelSelectorString({ matchExpressions: [{ key: "x", operator: "DoesNotExist" }] }),
    ).toBe("!x");
    expect(
      bindingSpec({ name: "a", kind: "Pod", executeHookOnEvent: ["Added"] }, "h").executeOnEvent,
    ).toBe(true);
    expect(
      bindingSpec({ name: "a", kind: "Pod", nameSelector: { matchNames: ["x", "y"] } }, "h").names,
    ).toEqual(["x", "y"]);
  });

  it("parses the real hooks executable's config document", () => {
    const exe = `${repoRoot()}/build/hooks/hooks.cjs`;
    let text: string;
    try {
      text = execFileSync(`${repoRoot()}/node_modules/node/bin/node`, [exe, "hook", "config"], {
        encoding: "utf8",
      });
    } catch {
      return; // not built in this checkout: covered by the scenarios, which build it
    }
    const hooks = parseBatchConfig(text);
    expect(hooks.map(h => h.name)).toContain("ensure-crds");
    expect(lifecycleOrder(hooks, "onStartup").map(h => h.name)).toEqual(["ensure-crds"]);
    const status = hooks.find(h => h.name === "status");
    expect(status?.minIntervalMs).toBe(1000);
  });

  it("rejects what is not a batch config", () => {
    expect(() => parseBatchConfig("nope")).toThrow(/did not print JSON/);
    expect(() => parseBatchConfig('{"version":"v2","hooks":[]}')).toThrow(/unknown document/);
  });
});

describe("crontabs", () => {
  const at = (iso: string): number => Date.parse(iso);
  it.each([
    // every 5 seconds (the fencing hook's)
    ["*/5 * * * * *", "2026-01-01T00:00:10Z", true],
    ["*/5 * * * * *", "2026-01-01T00:00:11Z", false],
    // 5 fields fire at second 0
    ["*/2 * * * *", "2026-01-01T00:04:00Z", true],
    ["*/2 * * * *", "2026-01-01T00:04:01Z", false],
    // names and ranges
    ["0 0 12 * * MON-FRI", "2026-01-05T12:00:00Z", true],
    ["0 0 12 * * MON-FRI", "2026-01-04T12:00:00Z", false],
    // both day fields restricted: either matches
    ["0 0 0 1 * SUN", "2026-01-04T00:00:00Z", true],
    ["@hourly", "2026-01-01T05:00:00Z", true],
    ["@every 10s", "2026-01-01T00:00:20Z", true],
    ["@every 10s", "2026-01-01T00:00:25Z", false],
  ])("%s at %s -> %s", (crontab, time, want) => {
    expect(parseCrontab(crontab).matches(at(time))).toBe(want);
  });

  it("rejects bad crontabs naming them", () => {
    expect(() => parseCrontab("61 * * * *")).toThrow(/invalid crontab "61 \* \* \* \*"/);
    expect(() => parseCrontab("* * *")).toThrow(/3 fields/);
  });
});

describe("jq", () => {
  it("wraps filters so every input gives one answer line", () => {
    expect(wrapFilter(".a")).toContain("try ($__swhIn | (.a))");
    expect(interpretAnswer("[1]")).toBe(1);
    expect(interpretAnswer("[]")).toBeNull();
    expect(interpretAnswer("[1,2]")).toEqual([1, 2]);
    expect(() => interpretAnswer('[{"__swhJqError":"boom"}]')).toThrow("jq: boom");
  });

  (jqAvailable ? it : it.skip)("keeps answers in step across errors (real jq)", async () => {
    const jq = new JqFilter("{n: (.a + 1)}");
    try {
      const answers = await Promise.all([
        jq.apply({ a: 1 }),
        jq.apply({ a: "x" }).catch((e: Error) => e.message),
        jq.apply({ a: 3 }),
      ]);
      expect(answers[0]).toEqual({ n: 2 });
      expect(String(answers[1])).toMatch(/cannot be added/);
      expect(answers[2]).toEqual({ n: 4 });
    } finally {
      jq.close();
    }
    expect(await jqOnce(".metadata.name", { metadata: { name: "x" } })).toBe("x");
  });
});

describe("patch, metrics and values files", () => {
  it("splits concatenated JSON values", () => {
    expect(parseJsonStream('{"a":"}"}\n[1,{"b":2}] {"c":"\\""}')).toEqual([
      { a: "}" },
      [1, { b: 2 }],
      { c: '"' },
    ]);
    expect(parseJsonStream("  ")).toEqual([]);
    expect(() => parseJsonStream('{"a":1')).toThrow(/truncated/);
    expect(() => parseJsonStream("x")).toThrow(/unexpected/);
  });

  it("turns CreateOrUpdate objects into merge patches that leave status alone", () => {
    const object = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "x", namespace: "n", resourceVersion: "7" },
      data: { a: "1" },
      status: { phase: "whatever" },
    };
    expect(mergePatchOf(object)).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "x", namespace: "n" },
      data: { a: "1" },
    });
  });

  it("applies add/remove values patches and refuses replace", () => {
    const doc = { m: { internal: { a: 1 } } };
    expect(
      applyValuesPatch(doc, [
        { op: "add", path: "/m/internal/b~1c", value: 2 },
        { op: "remove", path: "/m/internal/a" },
      ]),
    ).toEqual({
      m: { internal: { "b/c": 2 } },
    });
    expect(doc).toEqual({ m: { internal: { a: 1 } } });
    expect(() => applyValuesPatch(doc, [{ op: "replace", path: "/m/x", value: 1 }])).toThrow(
      /not allowed/,
    );
  });

  it("keeps grouped metric series per batch and adds the hook label", () => {
    const m = new MetricsStore();
    m.applyHookMetrics("status", [
      { name: "swh_ready", action: "set", value: 1, labels: { swh: "a" }, group: "g" },
    ]);
    m.applyHookMetrics("status", [
      { name: "swh_ready", action: "set", value: 2, labels: { swh: "b" }, group: "g" },
    ]);
    m.applyHookMetrics("gc", [
      { name: "deleted_total", action: "add", value: 2 },
      { name: "deleted_total", action: "add", value: 3 },
    ]);
    const text = m.render();
    expect(text).not.toContain('swh="a"');
    expect(text).toContain('swh_ready{hook="status",swh="b"} 2');
    expect(text).toContain('deleted_total{hook="gc"} 5');
  });
});

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

describe("queue discipline", () => {
  it("backs off from 5 s, doubling, capped at 32 s", () => {
    const mid = (): number => 0.5;
    expect([1, 2, 3, 4, 5].map(n => retryDelayMs(n, mid))).toEqual([
      5000, 10000, 20000, 32000, 32000,
    ]);
  });

  it("rate-limits like executionMinInterval/executionBurst", () => {
    const bucket = new TokenBucket(1000, 1, 0);
    expect(bucket.take(0)).toBe(0);
    expect(bucket.take(200)).toBe(800);
    expect(bucket.take(1000)).toBe(0);
    expect(new TokenBucket(0, 1, 0).take(0)).toBe(0);
  });
});

describe("releases", () => {
  it("installs in Helm's kind order and prunes what a render dropped", () => {
    const objs = ["Deployment", "ClusterRole", "Namespace", "Widget", "ServiceAccount"].map(
      kind => ({ kind }),
    );
    expect(installOrder(objs).map(o => o.kind)).toEqual([
      "Namespace",
      "ServiceAccount",
      "ClusterRole",
      "Deployment",
      "Widget",
    ]);
    const a = { apiVersion: "v1", kind: "ConfigMap", namespace: "n", name: "a" };
    const b = { ...a, name: "b" };
    expect(staleRefs([a, b], [b])).toEqual([a]);
  });
});

describe("agent command line", () => {
  it("keeps the chart's flags and replaces the pod-specific ones", () => {
    const args = agentArguments(
      [
        "--health-bind=:9873",
        "--metrics-bind",
        "127.0.0.1:9874",
        "--lease-duration=8s",
        "--log-level=debug",
      ],
      { node: "node-1", kubeconfig: "/k", healthPort: 1, metricsPort: 2 },
    );
    expect(args).toEqual([
      "--lease-duration=8s",
      "--log-level=debug",
      "--node-name=node-1",
      "--namespace=d8-service-with-healthchecks",
      "--kubeconfig=/k",
      "--health-bind=127.0.0.1:1",
      "--metrics-bind=127.0.0.1:2",
    ]);
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
