// Smoke tests of the cluster in a box: the real kube-apiserver answers, RBAC is enforced on
// ServiceAccount tokens issued through TokenRequest, server-side dry runs work without kubectl,
// the controller manager's garbage collector, namespace and ServiceAccount controllers run, pods
// can be faked as API objects with loopback IPs, the module's CRD installs, and a second box
// starts idempotently, audits, and goes down without leaving a process or a port behind.
import {
  AuthenticationV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  VersionApi,
  type KubeConfig,
  type V1Pod,
} from "@kubernetes/client-node";
import { jest } from "@jest/globals";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  adminKubeConfig,
  applyYaml,
  down,
  ensureUp,
  issueToken,
  kubeconfigPath,
  status,
  toolVersions,
  waitForCrdEstablished,
} from "../testenv/index.js";
import { isPortFree } from "../testenv/ports.js";
import { eventually, statusOf } from "./support/eventually.js";

// Controllers act in seconds, not milliseconds (namespace deletion takes several), and jest's
// project-level testTimeout is not honoured by jest-circus, so set it here.
jest.setTimeout(120_000);

const run = promisify(execFile);
const stateDir = process.env.SWH_TESTENV_DIR ?? "";
const suffix = randomBytes(3).toString("hex");

let admin: KubeConfig;
let core: CoreV1Api;

/** Pids of live processes whose command line mentions the state dir `dir`. */
function processesUsing(dir: string): number[] {
  return readdirSync("/proc")
    .filter(name => /^\d+$/.test(name))
    .filter(pid => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`${dir}/`);
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
}

async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${suffix}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

beforeAll(() => {
  expect(stateDir).not.toBe("");
  admin = adminKubeConfig(stateDir);
  core = admin.makeApiClient(CoreV1Api);
});

describe("the box started by the e2e global setup", () => {
  it("exports KUBECONFIG and serves the pinned Kubernetes version", async () => {
    expect(process.env.KUBECONFIG).toBe(kubeconfigPath(stateDir));
    const version = await admin.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(toolVersions().kubernetes);
    const s = await status(stateDir);
    expect(s.ready).toBe(true);
    expect(s.processes.filter(p => p.alive).map(p => p.component)).toEqual([
      "etcd",
      "apiserver",
      "controllerManager",
    ]);
  });

  it("enforces RBAC on a ServiceAccount token until a RoleBinding allows it", async () => {
    const ns = await createNamespace("rbac");
    const issued = await issueToken(ns, "reader", { stateDir, expirationSeconds: 600 });
    const asReader = issued.kubeConfig().makeApiClient(CoreV1Api);
    expect(await statusOf(asReader.listNamespacedPod({ namespace: ns }))).toBe(403);

    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: "pod-reader" },
        rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: "pod-reader" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" },
        subjects: [{ kind: "ServiceAccount", name: "reader", namespace: ns }],
      },
    });
    await eventually("reader may list pods", async () => {
      await asReader.listNamespacedPod({ namespace: ns });
    });
    // The binding is namespaced: other namespaces stay closed.
    expect(await statusOf(asReader.listNamespacedPod({ namespace: "default" }))).toBe(403);
  });

  it("issues tokens that authenticate as the ServiceAccount", async () => {
    const ns = await createNamespace("token");
    const issued = await issueToken(ns, "agent", { stateDir });
    expect(readFileSync(issued.kubeconfigPath, "utf8")).toContain(issued.token);
    const review = await issued
      .kubeConfig()
      .makeApiClient(AuthenticationV1Api)
      .createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${ns}:agent`);
    expect(Date.parse(issued.expirationTimestamp)).toBeGreaterThan(Date.now() + 3_600_000);
  });

  it("runs server-side dry runs without kubectl and rejects invalid objects", async () => {
    const manifest = `
apiVersion: v1
kind: ConfigMap
metadata: { name: dry-${suffix}, namespace: default }
data: { key: value }
---
apiVersion: v1
kind: Service
metadata: { name: dry-${suffix}, namespace: default }
spec:
  ports: [{ port: 80, targetPort: 8080 }]
`;
    const answered = await applyYaml(manifest, { stateDir, dryRun: true });
    expect(answered.map(o => o.kind)).toEqual(["ConfigMap", "Service"]);
    expect((answered[1] as { spec?: { clusterIP?: string } }).spec?.clusterIP).toMatch(/^10\.96\./);
    expect(
      await statusOf(core.readNamespacedConfigMap({ name: `dry-${suffix}`, namespace: "default" })),
    ).toBe(404);

    const invalid = manifest.replace("port: 80,", "port: 70000,");
    await expect(applyYaml(invalid, { stateDir, dryRun: true })).rejects.toThrow(
      /dry-run apply of Service default\/dry-/,
    );
  });

  it("garbage-collects a dependent whose owner is deleted", async () => {
    const ns = await createNamespace("gc");
    const owner = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "owner" } },
    });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: "dependent",
          ownerReferences: [
            { apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata!.uid! },
          ],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: "owner", namespace: ns });
    await eventually("dependent ConfigMap is deleted", async () => {
      expect(
        await statusOf(core.readNamespacedConfigMap({ name: "dependent", namespace: ns })),
      ).toBe(404);
    });
  });

  it("accepts pods as API objects on a fake node with a loopback pod IP", async () => {
    const ns = await createNamespace("pods");
    // The ServiceAccount admission plugin needs the namespace's default ServiceAccount, which the
    // controller manager's ServiceAccount controller creates.
    await eventually("default ServiceAccount exists", () =>
      core.readNamespacedServiceAccount({ name: "default", namespace: ns }),
    );
    const pod: V1Pod = {
      metadata: { name: "backend", labels: { app: "backend" } },
      spec: { nodeName: "node-a", containers: [{ name: "main", image: "example.invalid/none" }] },
    };
    const created = await core.createNamespacedPod({ namespace: ns, body: pod });
    created.status = {
      phase: "Running",
      podIP: "127.0.0.2",
      podIPs: [{ ip: "127.0.0.2" }],
      conditions: [{ type: "Ready", status: "True" }],
    };
    const updated = await core.replaceNamespacedPodStatus({
      name: "backend",
      namespace: ns,
      body: created,
    });
    expect(updated.status?.podIP).toBe("127.0.0.2");
    expect(updated.spec?.serviceAccountName).toBe("default");
  });

  it("finalises namespace deletion", async () => {
    const ns = await createNamespace("delete");
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "x" } } });
    await core.deleteNamespace({ name: ns });
    await eventually(
      "namespace is gone",
      async () => {
        expect(await statusOf(core.readNamespace({ name: ns }))).toBe(404);
      },
      60_000,
    );
  });

  const crdFile = join(import.meta.dirname, "..", "..", "crds", "servicewithhealthchecks.yaml");
  const crdTest = existsSync(crdFile) ? it : it.skip;
  if (!existsSync(crdFile)) {
    console.warn(`skipping the CRD test: ${crdFile} does not exist yet`);
  }
  crdTest("installs the ServiceWithHealthchecks CRD and it becomes Established", async () => {
    const [crd] = await applyYaml(await readFile(crdFile, "utf8"), { stateDir });
    await waitForCrdEstablished(crd!.metadata!.name!, { stateDir });
  });
});

describe("the scripts/testenv CLI on that box", () => {
  const cli = join(import.meta.dirname, "..", "..", "scripts", "testenv");
  const runCli = (...args: string[]) =>
    run(cli, args, { env: { ...process.env, SWH_TESTENV_DIR: stateDir } });

  it("reports status as JSON and prints the kubeconfig path", async () => {
    const s = JSON.parse((await runCli("status", "--json")).stdout);
    expect(s).toMatchObject({ ready: true, readyz: "ok", stateDir });
    expect((await runCli("kubeconfig")).stdout.trim()).toBe(kubeconfigPath(stateDir));
  });

  it("issues a token kubeconfig", async () => {
    const ns = await createNamespace("cli");
    const { stdout } = await runCli("token", ns, "robot", "--expiration=600");
    const path = stdout.trim();
    expect(path).toBe(join(stateDir, "tokens", `${ns}.robot.kubeconfig`));
    expect(readFileSync(path, "utf8")).toContain(`namespace: ${ns}`);
  });

  it("rejects unknown commands and options with usage", async () => {
    await expect(runCli("nope")).rejects.toMatchObject({ code: 2 });
    await expect(runCli("down", "--force")).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("unknown option --force"),
    });
  });
});

describe("a box that fails to start", () => {
  it("reports the failing process's log and leaves nothing running", async () => {
    const dir = await mkdtemp(join(tmpdir(), "swh-testenv-fail-"));
    try {
      await expect(
        ensureUp({ stateDir: dir, controllers: ["no-such-controller"] }),
      ).rejects.toThrow(/controllerManager exited[\s\S]*no-such-controller/);
      expect(processesUsing(dir)).toEqual([]);
      expect(existsSync(join(dir, "state.json"))).toBe(false);
    } finally {
      await down({ stateDir: dir, purge: true });
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("a second box", () => {
  it("comes up idempotently with an audit log and goes down leaving nothing behind", async () => {
    const dir = await mkdtemp(join(tmpdir(), "swh-testenv-"));
    try {
      const first = await ensureUp({ stateDir: dir, audit: true });
      expect(first.reused).toBe(false);
      expect(first.status.ports?.apiserver).not.toBe((await status(stateDir)).ports?.apiserver);

      const again = await ensureUp({ stateDir: dir, audit: true });
      expect(again.reused).toBe(true);
      expect(again.status.processes.map(p => p.pid)).toEqual(
        first.status.processes.map(p => p.pid),
      );
      await expect(ensureUp({ stateDir: dir, audit: false })).rejects.toThrow(/already up/);

      const marker = `audit-${suffix}`;
      await adminKubeConfig(dir)
        .makeApiClient(CoreV1Api)
        .createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: marker } } });
      await eventually("the audit log records the create", async () => {
        const lines = (await readFile(join(dir, "logs", "audit.log"), "utf8")).split("\n");
        const event = lines
          .filter(Boolean)
          .map(l => JSON.parse(l) as { objectRef?: { name?: string } })
          .find(e => e.objectRef?.name === marker);
        expect(event).toMatchObject({ verb: "create", user: { username: "swh-testenv-admin" } });
      });

      const result = await down({ stateDir: dir });
      expect(Object.values(result.stopped)).toEqual(["SIGTERM", "SIGTERM", "SIGTERM"]);
      expect(processesUsing(dir)).toEqual([]);
      for (const port of Object.values(first.status.ports ?? {})) {
        expect(await isPortFree(port)).toBe(true);
      }
      expect((await status(dir)).ready).toBe(false);
      // Data survives a plain down; purge removes the state dir.
      expect(existsSync(join(dir, "etcd-data"))).toBe(true);
      await down({ stateDir: dir, purge: true });
      expect(existsSync(dir)).toBe(false);
    } finally {
      await down({ stateDir: dir, purge: true });
      await rm(dir, { recursive: true, force: true });
    }
  });
});
