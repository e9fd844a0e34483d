// The agent DaemonSet as Helm renders it from the module settings: with the defaults and with every
// settings example the schema carries, the security bars hold, settings become agent flags, a
// settings change changes the pod template (so the DaemonSet rolls), and settings that cannot
// work together fail the render with a message naming them. Renders the staged module with the
// real helm (tests/support/helm.ts).
import { parseConfig } from "../../../images/agent/src/config.js";
import {
  findObject,
  moduleValues,
  type RenderedObject,
  settingsExamples,
  TEST_DIGESTS,
  TEST_REGISTRY,
  useStagedChart,
} from "../../support/helm.js";

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

interface PodSpec {
  containers: Container[];
  securityContext?: Record<string, unknown>;
  priorityClassName?: string;
  tolerations?: Record<string, unknown>[];
  nodeSelector?: Record<string, string>;
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
}

interface DaemonSet extends RenderedObject {
  spec: {
    revisionHistoryLimit: number;
    updateStrategy: { type: string; rollingUpdate: { maxUnavailable: string | number } };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

const staged = useStagedChart();

async function daemonSet(settings: unknown): Promise<DaemonSet> {
  const objects = await staged.render(moduleValues(settings));
  return findObject(objects, "DaemonSet", "agent") as DaemonSet;
}

function container(ds: DaemonSet, name: string): Container {
  const found = ds.spec.template.spec.containers.find(c => c.name === name);
  if (!found) throw new Error(`container ${name} not rendered`);
  return found;
}

const examples = settingsExamples().map((example, i) => [i, example] as const);

describe("agent DaemonSet: security bars", () => {
  it.each(examples)("holds them with settings example %i", async (_i, settings) => {
    const ds = await daemonSet(settings);
    const pod = ds.spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 64535,
      runAsGroup: 64535,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.priorityClassName).toBe("system-node-critical");
    expect(pod.serviceAccountName).toBe("agent");
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(0);
    expect(ds.spec.revisionHistoryLimit).toBeLessThanOrEqual(2);
    expect(ds.spec.updateStrategy.type).toBe("RollingUpdate");
    expect(pod.containers.map(c => c.name).sort()).toEqual(["agent", "kube-rbac-proxy"]);
    for (const c of pod.containers) {
      expect(c.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        runAsNonRoot: true,
        runAsUser: 64535,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(c.securityContext).not.toHaveProperty("privileged", true);
      expect(c.securityContext).not.toHaveProperty("capabilities.add");
      expect(c.resources?.requests?.["ephemeral-storage"]).toBeTruthy();
      expect(c.livenessProbe).toBeDefined();
      expect(c.readinessProbe).toBeDefined();
    }
  });

  it("serves metrics on loopback only; kube-rbac-proxy publishes them over HTTPS", async () => {
    const ds = await daemonSet({});
    const agent = container(ds, "agent");
    expect(agent.args).toContain("--metrics-bind=127.0.0.1:9874");
    expect(agent.ports?.map(p => p.containerPort)).toEqual([9873]);
    const proxy = container(ds, "kube-rbac-proxy");
    expect(proxy.args).toContain("--secure-listen-address=$(KUBE_RBAC_PROXY_LISTEN_ADDRESS):8383");
    const config = proxy.env?.find(e => e.name === "KUBE_RBAC_PROXY_CONFIG") as
      { value: string } | undefined;
    expect(config?.value).toContain("upstream: http://127.0.0.1:9874/metrics");
    expect(config?.value).toContain("subresource: prometheus-metrics");
  });

  it("probes the agent's own health endpoints", async () => {
    const agent = container(await daemonSet({}), "agent");
    expect(agent.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "http-health" });
    expect(agent.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "http-health" });
    expect(agent.ports).toEqual([{ name: "http-health", containerPort: 9873, protocol: "TCP" }]);
  });

  it("takes images from the module registry by digest", async () => {
    const ds = await daemonSet({});
    expect(container(ds, "agent").image).toBe(`${TEST_REGISTRY}@${TEST_DIGESTS.agent}`);
    expect(container(ds, "kube-rbac-proxy").image).toBe(
      `${TEST_REGISTRY}@${TEST_DIGESTS.kubeRbacProxy}`,
    );
  });
});

describe("agent DaemonSet: settings", () => {
  it("passes the node and namespace through the downward API", async () => {
    const env = container(await daemonSet({}), "agent").env ?? [];
    expect(env).toEqual(
      expect.arrayContaining([
        { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
        { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      ]),
    );
  });

  it.each(examples)("example %i renders arguments the agent accepts", async (_i, settings) => {
    const args = container(await daemonSet(settings), "agent").args ?? [];
    const parsed = parseConfig(args, { NODE_NAME: "node-a", POD_NAMESPACE: "d8-x" });
    expect(parsed).toMatchObject({ kind: "config" });
  });

  it("maps every agent setting to its flag", async () => {
    const args = container(
      await daemonSet({
        logLevel: "Warn",
        verboseStatus: true,
        agent: { maxConcurrentProbes: 4321 },
        heartbeat: { leaseDurationSeconds: 30, renewIntervalSeconds: 7 },
      }),
      "agent",
    ).args;
    expect(args).toEqual(
      expect.arrayContaining([
        "--log-level=warn",
        "--verbose-status=true",
        "--max-concurrent-probes=4321",
        "--lease-duration=30s",
        "--lease-renew-interval=7s",
      ]),
    );
    const parsed = parseConfig(args ?? [], { NODE_NAME: "node-a" });
    expect(parsed).toMatchObject({
      kind: "config",
      config: {
        logLevel: "warn",
        verboseStatus: true,
        maxConcurrentProbes: 4321,
        leaseDurationMs: 30_000,
        leaseRenewIntervalMs: 7_000,
      },
    });
  });

  it("turns the Go implementation's `debug: true` into debug logging", async () => {
    const args = container(await daemonSet({ debug: true, logLevel: "Error" }), "agent").args;
    expect(args).toContain("--log-level=debug");
  });

  it.each([
    ["logLevel", { logLevel: "Debug" }],
    ["verboseStatus", { verboseStatus: true }],
    ["agent.maxConcurrentProbes", { agent: { maxConcurrentProbes: 10 } }],
    ["heartbeat.leaseDurationSeconds", { heartbeat: { leaseDurationSeconds: 60 } }],
    ["heartbeat.renewIntervalSeconds", { heartbeat: { renewIntervalSeconds: 5 } }],
    ["agent.resources", { agent: { resources: { requests: { cpu: "300m" } } } }],
    ["agent.nodeSelector", { agent: { nodeSelector: { "kubernetes.io/os": "linux" } } }],
    ["agent.tolerations", { agent: { tolerations: [{ key: "a", operator: "Exists" }] } }],
  ])("a change of %s changes the pod template (the DaemonSet rolls)", async (_name, changed) => {
    const before = (await daemonSet({})).spec.template;
    const after = (await daemonSet(changed)).spec.template;
    expect(JSON.stringify(after)).not.toEqual(JSON.stringify(before));
  });

  it("tolerates every taint and selects every node by default", async () => {
    const pod = (await daemonSet({})).spec.template.spec;
    expect(pod.tolerations).toEqual([{ operator: "Exists" }]);
    expect(pod.nodeSelector).toBeUndefined();
  });

  it("uses the settings' nodeSelector and tolerations, an empty list meaning none", async () => {
    const pod = (
      await daemonSet({
        agent: { nodeSelector: { "node-role.kubernetes.io/worker": "" }, tolerations: [] },
      })
    ).spec.template.spec;
    expect(pod.nodeSelector).toEqual({ "node-role.kubernetes.io/worker": "" });
    expect(pod.tolerations).toBeUndefined();
  });

  it("sets the agent's resources from the settings", async () => {
    const resources = container(
      await daemonSet({
        agent: {
          resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "1Gi" } },
        },
      }),
      "agent",
    ).resources;
    expect(resources).toEqual({
      requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "50Mi" },
      limits: { memory: "1Gi" },
    });
  });

  it("renders the same without the schema defaults as with them (template fallbacks agree)", async () => {
    const withDefaults = await staged.render(moduleValues({}));
    const bare = await staged.render(moduleValues({}, { applyDefaults: false }));
    expect(bare).toEqual(withDefaults);
  });

  it("fails the render naming the settings when renewal is above half the Lease", async () => {
    const result = await staged.template(
      moduleValues({ heartbeat: { leaseDurationSeconds: 15, renewIntervalSeconds: 10 } }),
    );
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.error).toContain(
      "heartbeat.renewIntervalSeconds (10) must be at most half of heartbeat.leaseDurationSeconds (15)",
    );
  });

  it("fails the render naming the image when its digest is missing", async () => {
    const values = moduleValues({});
    const images = (values.global as { modulesImages: { digests: Record<string, unknown> } })
      .modulesImages;
    images.digests = { common: images.digests.common };
    const result = await staged.template(values);
    expect(result.ok ? "" : result.error).toContain(
      "Image serviceWithHealthchecks.agent has no digest",
    );
  });
});
