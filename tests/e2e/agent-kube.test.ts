// The agent's Kubernetes plumbing against a real kube-apiserver (the cluster in a box): the REST
// client's errors, the list+watch informer (paging, add/update/delete, relist diff, resuming its
// watch after the connection breaks), Secret access by name only through RBAC resourceNames, the
// slice applier's conflict handling, and the Lease.
import { jest } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { MODULE_NAMESPACE, leaseNameForNode } from "../../api/contract.js";
import {
  setupAgentCluster,
  ensureNamespace,
  secretAccess,
  type AgentCluster,
} from "../agent/cluster.js";
import { adminKubeConfig, applyYaml } from "../testenv/index.js";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { KubeConfig } from "@kubernetes/client-node";
import {
  KubeRest,
  Reflector,
  isForbidden,
  isNotFound,
  KubeApiError,
  type RawEndpointSlice,
  type RawLease,
  type RawObject,
} from "swh-kube-client";
import { createLogger } from "../../images/agent/src/log.js";
import { SecretWatcher } from "../../images/agent/src/secrets.js";
import { SliceApplier } from "../../images/agent/src/slices/applier.js";
import { SliceStore } from "../../images/agent/src/slices/store.js";
import { Heartbeat } from "../../images/agent/src/lease.js";
import { eventually } from "./support/eventually.js";

jest.setTimeout(60_000);

const stateDir = process.env.SWH_TESTENV_DIR ?? "";
const suffix = randomBytes(3).toString("hex");
const ns = `agent-kube-${suffix}`;
const quiet = createLogger({ level: "error", sink: () => undefined });

/** Wraps a synchronous assertion for `eventually`. */
function holds(assertion: () => void): () => Promise<void> {
  return async () => {
    await Promise.resolve();
    assertion();
  };
}

let cluster: AgentCluster;
let agent: KubeRest;

function configMap(name: string, value: string): object {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: ns },
    data: { value },
  };
}

beforeAll(async () => {
  cluster = await setupAgentCluster(stateDir);
  await ensureNamespace(ns, stateDir);
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.agentKubeconfig);
  agent = new KubeRest(kc);
});

afterAll(() => {
  agent?.close();
  cluster?.admin.close();
});

describe("KubeRest", () => {
  it("turns API errors into KubeApiError with status and reason", async () => {
    const err = await cluster.admin
      .request({
        verb: "get",
        resource: "configmaps",
        path: `/api/v1/namespaces/${ns}/configmaps/missing`,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(isNotFound(err)).toBe(true);
    expect((err as KubeApiError).reason).toBe("NotFound");
  });

  it("reports a connection failure as status 0 with the cause", async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: "https://127.0.0.1:1", skipTLSVerify: true }],
      users: [{ name: "u", token: "t" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    const err = await new KubeRest(kc, { timeoutMs: 2_000 })
      .request({ verb: "get", resource: "pods", path: "/api/v1/pods" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(0);
  });
});

describe("Reflector", () => {
  it("lists in pages, then follows adds, updates and deletes", async () => {
    await applyYaml(
      Array.from({ length: 5 }, (_, i) => configMap(`cm-${i}`, "a")),
      {
        stateDir,
      },
    );
    const reflector = new Reflector<string>({
      name: "configmaps",
      rest: cluster.admin,
      resource: "configmaps",
      path: `/api/v1/namespaces/${ns}/configmaps`,
      transform: raw => (raw as { data?: { value?: string } }).data?.value ?? "-",
      relistIntervalMs: 600_000,
      pageSize: 2,
      log: quiet,
    });
    const events: string[] = [];
    reflector.on(e => events.push(`${e.type}:${e.key}`));
    reflector.start();
    try {
      expect(await reflector.waitForSync(10_000)).toBe(true);
      expect([...reflector.values()].filter(v => v === "a")).toHaveLength(5);
      await applyYaml([configMap("cm-1", "b"), configMap("cm-new", "c")] as never[], { stateDir });
      await cluster.admin.request({
        verb: "delete",
        resource: "configmaps",
        path: `/api/v1/namespaces/${ns}/configmaps/cm-0`,
      });
      await eventually(
        "watch delivers the changes",
        holds(() => {
          expect(reflector.get(`${ns}/cm-1`)).toBe("b");
          expect(reflector.get(`${ns}/cm-new`)).toBe("c");
          expect(reflector.get(`${ns}/cm-0`)).toBeUndefined();
        }),
      );
      expect(events).toEqual(
        expect.arrayContaining([`upsert:${ns}/cm-1`, `delete:${ns}/cm-0`, `upsert:${ns}/cm-new`]),
      );
    } finally {
      await reflector.stop();
    }
  });

  it("keeps retrying a forbidden list, logging each failure, and syncs once access is granted", async () => {
    const lines: string[] = [];
    const restarts: string[] = [];
    const reflector = new Reflector<RawObject>({
      name: "configmaps",
      rest: agent,
      resource: "configmaps",
      path: `/api/v1/namespaces/${ns}/configmaps`,
      transform: raw => raw as RawObject,
      relistIntervalMs: 600_000,
      backoff: { initialMs: 50, maxMs: 200 },
      log: createLogger({ level: "warn", sink: l => lines.push(l) }),
      observer: { onRestart: (_n, reason) => restarts.push(reason) },
    });
    reflector.start();
    try {
      await eventually(
        "the failure is seen",
        holds(() => {
          expect(reflector.attempted).toBe(true);
          expect(isForbidden(reflector.lastError)).toBe(true);
        }),
      );
      expect(reflector.synced).toBe(false);
      expect(restarts[0]).toBe("403");
      expect(lines.some(l => l.includes("list/watch failed; retrying"))).toBe(true);
      await applyYaml(
        [
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: { name: "cm-read", namespace: ns },
            rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["list", "watch"] }],
          },
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: "cm-read", namespace: ns },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "cm-read" },
            subjects: [{ kind: "ServiceAccount", name: "agent", namespace: MODULE_NAMESPACE }],
          },
        ] as never[],
        { stateDir },
      );
      await eventually(
        "synced after the grant",
        holds(() => expect(reflector.synced).toBe(true)),
      );
    } finally {
      await reflector.stop();
    }
  });
});

describe("Reflector behind a connection that breaks", () => {
  const labelled = (name: string, value: string): object => ({
    ...configMap(name, value),
    metadata: { name, namespace: ns, labels: { test: "resume" } },
  });

  /** The admin kubeconfig, pointed at `port` on loopback (the API server's certificate has it). */
  function adminVia(port: number): KubeConfig {
    const kc = adminKubeConfig(stateDir || undefined);
    const copy = new KubeConfig();
    copy.loadFromOptions({
      clusters: kc.clusters.map(c => ({ ...c, server: `https://127.0.0.1:${port}` })),
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
    return copy;
  }

  it("resumes its watch from the last resourceVersion: no list, and what changed meanwhile arrives", async () => {
    const server = new URL(
      adminKubeConfig(stateDir || undefined).getCurrentCluster()?.server ?? "",
    );
    const proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port) });
    const calls: string[] = [];
    const rest = new KubeRest(adminVia(proxy.port), {
      observer: { onRequest: (verb, _resource, code) => calls.push(`${verb} ${code}`) },
    });
    const restarts: string[] = [];
    await applyYaml([labelled("resume-a", "1"), labelled("resume-b", "1")] as never[], {
      stateDir,
    });
    const reflector = new Reflector<string>({
      name: "configmaps",
      rest,
      resource: "configmaps",
      path: `/api/v1/namespaces/${ns}/configmaps`,
      labelSelector: "test=resume",
      transform: raw => (raw as { data?: { value?: string } }).data?.value ?? "-",
      relistIntervalMs: 600_000,
      backoff: { initialMs: 100, maxMs: 400 },
      log: quiet,
      observer: { onRestart: (_n, reason) => restarts.push(reason) },
    });
    reflector.start();
    try {
      expect(await reflector.waitForSync(10_000)).toBe(true);
      // The watch is live: a change arrives through it.
      await applyYaml([labelled("resume-a", "2")] as never[], { stateDir });
      await eventually(
        "the watch delivers a change",
        holds(() => expect(reflector.get(`${ns}/resume-a`)).toBe("2")),
      );
      // Cut: the watch's connection is reset and reconnecting is refused for 2 s, while the
      // objects change behind the informer's back (through the admin client, not the proxy).
      await proxy.cut();
      await applyYaml([labelled("resume-a", "3"), labelled("resume-c", "1")] as never[], {
        stateDir,
      });
      await cluster.admin.request({
        verb: "delete",
        resource: "configmaps",
        path: `/api/v1/namespaces/${ns}/configmaps/resume-b`,
      });
      await new Promise(resolve => setTimeout(resolve, 2_000));
      expect(reflector.get(`${ns}/resume-a`)).toBe("2");
      await proxy.restore();
      await eventually(
        "the resumed watch delivers what changed while the connection was cut",
        holds(() => {
          expect(reflector.get(`${ns}/resume-a`)).toBe("3");
          expect(reflector.get(`${ns}/resume-c`)).toBe("1");
          expect(reflector.get(`${ns}/resume-b`)).toBeUndefined();
        }),
      );
      // One list in all, the first; the failures were network failures, none a 410.
      expect(calls.filter(c => c.startsWith("list "))).toEqual(["list 2xx"]);
      expect(restarts.length).toBeGreaterThan(0);
      expect(new Set(restarts)).toEqual(new Set(["network"]));
      expect(reflector.lastError).toBeUndefined();
    } finally {
      await reflector.stop();
      rest.close();
      await proxy.close();
    }
  });
});

describe("Secrets by name", () => {
  it("reads exactly the granted Secret through list/watch with a name field selector", async () => {
    const secret = (name: string) => ({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: ns },
      type: "Opaque",
      stringData: { user: "postgres", password: "example" },
    });
    await applyYaml([secret("cred-secret"), secret("other")] as never[], { stateDir });
    await applyYaml(secretAccess(ns, ["cred-secret"]), { stateDir });
    // The agent may not list the namespace's Secrets...
    const listAll = await agent
      .request({ verb: "list", resource: "secrets", path: `/api/v1/namespaces/${ns}/secrets` })
      .catch((e: unknown) => e);
    expect(isForbidden(listAll)).toBe(true);
    let changes = 0;
    const watcher = new SecretWatcher({
      rest: agent,
      log: quiet,
      relistIntervalMs: 600_000,
      onChange: () => changes++,
    });
    try {
      watcher.ensure(new Set([`${ns}/cred-secret`, `${ns}/other`]));
      await eventually(
        "both settled",
        holds(() => expect(watcher.settled()).toBe(true)),
      );
      expect(watcher.lookup(ns, "cred-secret")).toEqual({
        user: "postgres",
        password: "example",
        tlsMode: "Prefer",
      });
      expect(watcher.lookup(ns, "other")).toEqual({
        error: `Secret ${ns}/other is not readable by the agent (access not granted yet)`,
      });
      // ...and sees changes of the granted one.
      await applyYaml(
        [
          {
            ...secret("cred-secret"),
            stringData: { user: "probe", password: "x", tlsMode: "VerifyAll" },
          },
        ] as never[],
        { stateDir },
      );
      await eventually(
        "the update arrives",
        holds(() =>
          expect(watcher.lookup(ns, "cred-secret")).toMatchObject({
            user: "probe",
            tlsMode: "VerifyAll",
          }),
        ),
      );
      await cluster.admin.request({
        verb: "delete",
        resource: "secrets",
        path: `/api/v1/namespaces/${ns}/secrets/cred-secret`,
      });
      await eventually(
        "the deletion arrives",
        holds(() =>
          expect(watcher.lookup(ns, "cred-secret")).toEqual({
            error: `Secret ${ns}/cred-secret not found`,
          }),
        ),
      );
      expect(changes).toBeGreaterThan(0);
    } finally {
      await watcher.stop();
    }
  });
});

describe("SliceApplier", () => {
  const slice = (name: string, note: string): RawEndpointSlice => ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      namespace: ns,
      labels: {
        "endpointslice.kubernetes.io/managed-by": "servicewithhealthchecks",
        "network.deckhouse.io/node-name": "node-x",
        "kubernetes.io/service-name": "svc",
      },
      annotations: { note },
    },
    addressType: "IPv4",
    endpoints: [
      { addresses: ["192.0.2.10"], conditions: { ready: true, serving: true, terminating: false } },
    ],
    ports: [],
  });

  it("creates, updates, re-reads on conflict and deletes (NotFound is fine)", async () => {
    const store = new SliceStore();
    const applier = new SliceApplier({ rest: agent, store, nodeLabel: "node-x", log: quiet });
    expect(await applier.apply({ create: [slice("s1", "v1")], update: [], delete: [] })).toEqual({
      writes: 1,
      conflict: false,
    });
    const created = store.all()[0]!;
    expect(created.metadata?.resourceVersion).toBeTruthy();
    // Someone else changes it behind the agent's back.
    await cluster.admin.request({
      verb: "patch",
      resource: "endpointslices",
      path: `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices/s1`,
      contentType: "application/merge-patch+json",
      body: { metadata: { annotations: { note: "theirs" } } },
    });
    const stale = {
      ...slice("s1", "v2"),
      metadata: {
        ...slice("s1", "v2").metadata,
        resourceVersion: created.metadata!.resourceVersion!,
      },
    };
    const outcome = await applier.apply({ create: [], update: [stale], delete: [] });
    expect(outcome).toEqual({ writes: 0, conflict: true });
    expect(store.all()[0]?.metadata?.annotations?.note).toBe("theirs");
    // Re-planned from the fresh copy, the update goes through.
    const fresh = store.all()[0]!;
    const retry = {
      ...slice("s1", "v2"),
      metadata: {
        ...slice("s1", "v2").metadata,
        resourceVersion: fresh.metadata!.resourceVersion!,
      },
    };
    expect(await applier.apply({ create: [], update: [retry], delete: [] })).toEqual({
      writes: 1,
      conflict: false,
    });
    expect(await applier.apply({ create: [], update: [], delete: [store.all()[0]!] })).toEqual({
      writes: 1,
      conflict: false,
    });
    expect(await applier.apply({ create: [], update: [], delete: [slice("s1", "gone")] })).toEqual({
      writes: 1,
      conflict: false,
    });
    expect(store.size).toBe(0);
  });

  it("turns AlreadyExists on create into a conflict with the existing slice loaded", async () => {
    const store = new SliceStore();
    const applier = new SliceApplier({ rest: agent, store, nodeLabel: "node-x", log: quiet });
    await applier.apply({ create: [slice("s2", "first")], update: [], delete: [] });
    const other = new SliceStore();
    const outcome = await new SliceApplier({
      rest: agent,
      store: other,
      nodeLabel: "node-x",
      log: quiet,
    }).apply({
      create: [slice("s2", "second")],
      update: [],
      delete: [],
    });
    expect(outcome.conflict).toBe(true);
    expect(other.all()[0]?.metadata?.annotations?.note).toBe("first");
  });
});

describe("Heartbeat", () => {
  it("creates the Lease, renews it, and recreates it when deleted", async () => {
    const node = `hb-${suffix}`;
    const heartbeat = new Heartbeat({
      rest: agent,
      namespace: MODULE_NAMESPACE,
      nodeName: node,
      leaseDurationMs: 40_000,
      renewIntervalMs: 10_000,
      log: quiet,
    });
    const path = `/apis/coordination.k8s.io/v1/namespaces/${MODULE_NAMESPACE}/leases/${leaseNameForNode(node)}`;
    expect(await heartbeat.renewOnce()).toBe(true);
    const first = await cluster.admin.request<RawLease>({ verb: "get", resource: "leases", path });
    expect(first.spec).toMatchObject({ holderIdentity: node, leaseDurationSeconds: 40 });
    expect(heartbeat.fresh()).toBe(true);
    expect(await heartbeat.renewOnce()).toBe(true);
    const second = await cluster.admin.request<RawLease>({ verb: "get", resource: "leases", path });
    expect(second.spec?.acquireTime).toBe(first.spec?.acquireTime);
    await cluster.admin.request({ verb: "delete", resource: "leases", path });
    expect(await heartbeat.renewOnce()).toBe(true);
    const third = await cluster.admin.request<RawLease>({ verb: "get", resource: "leases", path });
    expect(third.metadata?.uid).not.toBe(first.metadata?.uid);
  });
});
