// Tests of the cluster-in-a-box recipes that need no running box: the pinned versions file, the
// PKI made with the real openssl, kubeconfig rendering, the daemons' command lines, manifest
// parsing, port picking and the state-dir lock. They live with the e2e tests because they test
// the e2e tooling (tests/unit is owned elsewhere).
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { parseManifests } from "../testenv/client.js";
import {
  AUDIT_POLICY,
  apiserverArgs,
  controllerManagerArgs,
  etcdArgs,
} from "../testenv/components.js";
import { isOurProcess } from "../testenv/daemon.js";
import { renderKubeconfig } from "../testenv/kubeconfig.js";
import { parseEnvFile, stateLayout, toolVersions } from "../testenv/layout.js";
import { withLock } from "../testenv/lock.js";
import { CERTIFICATES, ensurePki, leafExtensions, pkiFiles, subjectOf } from "../testenv/pki.js";
import { isPortFree, pickFreePorts } from "../testenv/ports.js";

const run = promisify(execFile);
const ports = { etcdClient: 20001, etcdPeer: 20002, apiserver: 20003, controllerManager: 20004 };
const layout = stateLayout("/state");
const pki = pkiFiles("/state/pki");

describe("versions.env", () => {
  it.each([
    // comments and blank lines are skipped
    ["# c\n\nA=1\n", [["A", "1"]]],
    // values may contain '='
    ["A=x=y", [["A", "x=y"]]],
  ])("parses %j", (text, want) => {
    expect([...parseEnvFile(text)]).toEqual(want);
  });

  it("rejects a line without a key", () => {
    expect(() => parseEnvFile("=1")).toThrow(/malformed/);
  });

  it("pins real tags for etcd and Kubernetes", () => {
    const v = toolVersions();
    expect(v.etcd).toMatch(/^v3\.[56]\.\d+$/);
    expect(v.kubernetes).toMatch(/^v1\.34\.\d+$/);
  });
});

describe("build-tools.sh", () => {
  const script = join(import.meta.dirname, "..", "testenv", "build-tools.sh");

  it("fails with a clear message and exit 2 when a build needs Go and Go is missing", async () => {
    const cache = await mkdtemp(join(tmpdir(), "swh-cache-"));
    try {
      const env = { PATH: "/usr/bin:/bin", HOME: cache, SWH_TESTENV_CACHE: cache };
      await expect(run("bash", [script, "etcd"], { env })).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringContaining("'go' is not on PATH"),
      });
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it("rejects an unknown tool", async () => {
    await expect(run("bash", [script, "no-such-tool"])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("unknown tool 'no-such-tool'"),
    });
  });
});

describe("PKI", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "swh-pki-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("formats subjects and leaf extensions", () => {
    expect(subjectOf({ commonName: "u", organization: "system:masters" })).toBe(
      "/O=system:masters/CN=u",
    );
    expect(subjectOf({ commonName: "u" })).toBe("/CN=u");
    const ext = leafExtensions({
      name: "s",
      commonName: "s",
      usage: "serverAuth",
      altNames: ["IP:127.0.0.1"],
    });
    expect(ext).toContain("extendedKeyUsage = serverAuth");
    expect(ext).toContain("subjectAltName = IP:127.0.0.1");
  });

  it("issues certificates openssl verifies against the CA, once", async () => {
    const files = await ensurePki(dir);
    for (const spec of CERTIFICATES) {
      const { stdout } = await run("openssl", [
        "verify",
        "-CAfile",
        files.caCert,
        files.cert(spec.name).crt,
      ]);
      expect(stdout).toContain(": OK");
    }
    const { stdout: text } = await run("openssl", [
      "x509",
      "-in",
      files.cert("apiserver").crt,
      "-noout",
      "-text",
    ]);
    expect(text).toContain("IP Address:127.0.0.1");
    expect(text).toContain("DNS:kubernetes.default.svc");
    const { stdout: admin } = await run("openssl", [
      "x509",
      "-in",
      files.cert("admin").crt,
      "-noout",
      "-subject",
    ]);
    expect(admin).toMatch(/O\s*=\s*system:masters/);
    expect((await stat(files.caKey)).mode & 0o777).toBe(0o600);

    const before = (await stat(files.caCert)).mtimeMs;
    await ensurePki(dir);
    expect((await stat(files.caCert)).mtimeMs).toBe(before);
  });
});

describe("kubeconfig", () => {
  it("embeds the CA and a token or a client certificate", () => {
    const cfg = parse(
      renderKubeconfig({
        server: "https://127.0.0.1:1",
        caPem: "CA",
        name: "n",
        namespace: "ns",
        credentials: { token: "t" },
      }),
    );
    expect(cfg.clusters[0].cluster).toEqual({
      server: "https://127.0.0.1:1",
      "certificate-authority-data": Buffer.from("CA").toString("base64"),
    });
    expect(cfg.users[0].user).toEqual({ token: "t" });
    expect(cfg.contexts[0].context).toEqual({ cluster: "n", user: "n", namespace: "ns" });
    const certCfg = parse(
      renderKubeconfig({
        server: "s",
        caPem: "CA",
        name: "n",
        credentials: { clientCertificatePem: "C", clientKeyPem: "K" },
      }),
    );
    expect(Object.keys(certCfg.users[0].user)).toEqual([
      "client-certificate-data",
      "client-key-data",
    ]);
  });
});

describe("command lines", () => {
  it("binds every daemon to loopback on the chosen ports", () => {
    expect(etcdArgs(layout, pki, ports)).toEqual(
      expect.arrayContaining([
        "--listen-client-urls=https://127.0.0.1:20001",
        "--listen-peer-urls=http://127.0.0.1:20002",
        "--data-dir=/state/etcd-data",
        "--client-cert-auth=true",
      ]),
    );
    const api = apiserverArgs(layout, pki, ports, { audit: false });
    expect(api).toEqual(
      expect.arrayContaining([
        "--bind-address=127.0.0.1",
        "--secure-port=20003",
        "--etcd-servers=https://127.0.0.1:20001",
        "--authorization-mode=Node,RBAC",
        "--service-account-signing-key-file=/state/pki/sa.key",
      ]),
    );
    expect(api.some(a => a.startsWith("--audit"))).toBe(false);
    const kcm = controllerManagerArgs(layout, pki, ports, ["garbagecollector", "namespace"]);
    expect(kcm).toEqual(
      expect.arrayContaining(["--secure-port=20004", "--controllers=garbagecollector,namespace"]),
    );
  });

  it("adds the audit log only when asked", () => {
    const api = apiserverArgs(layout, pki, ports, { audit: true });
    expect(api).toEqual(
      expect.arrayContaining([
        "--audit-log-path=/state/logs/audit.log",
        "--audit-policy-file=/state/audit-policy.yaml",
      ]),
    );
    expect(parse(AUDIT_POLICY).rules.at(-1)).toEqual({ level: "Metadata" });
  });

  it("marks every daemon with the state dir, so pids are never confused", () => {
    for (const args of [
      etcdArgs(layout, pki, ports),
      apiserverArgs(layout, pki, ports, { audit: false }),
      controllerManagerArgs(layout, pki, ports, []),
    ]) {
      expect(args.some(a => a.includes("/state/"))).toBe(true);
    }
    expect(isOurProcess(process.pid, "no-such-marker-/")).toBe(false);
    expect(isOurProcess(process.pid, "node")).toBe(true);
  });
});

describe("manifests", () => {
  it("parses multi-document YAML, skipping empty documents", () => {
    const objs = parseManifests("---\nkind: A\n---\n# only a comment\n---\nkind: B\n");
    expect(objs.map(o => o.kind)).toEqual(["A", "B"]);
  });

  it.each([
    ["kind: [", /invalid YAML/],
    ["- a\n- b", /must be a mapping/],
  ])("rejects %j", (text, error) => {
    expect(() => parseManifests(text)).toThrow(error);
  });
});

describe("ports and locks", () => {
  it("picks distinct free loopback ports", async () => {
    const picked = await pickFreePorts(4);
    expect(new Set(picked).size).toBe(4);
    for (const port of picked) expect(await isPortFree(port)).toBe(true);
  });

  it("serialises holders of the same lock and frees it afterwards", async () => {
    const dir = await mkdtemp(join(tmpdir(), "swh-lock-"));
    const file = join(dir, "lock");
    const order: string[] = [];
    const holder = (name: string) =>
      withLock(file, 5000, async () => {
        order.push(`${name}+`);
        await new Promise(r => setTimeout(r, 50));
        order.push(`${name}-`);
      });
    await Promise.all([holder("a"), holder("b")]);
    expect(order.join(" ")).toMatch(/^(a\+ a- b\+ b-|b\+ b- a\+ a-)$/);
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
    await rm(dir, { recursive: true, force: true });
  });
});
