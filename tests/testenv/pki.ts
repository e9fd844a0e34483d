// The box's PKI, made with the openssl CLI: one CA, serving certificates for kube-apiserver and
// etcd, client certificates (admin, apiserver→etcd, kube-controller-manager) and the
// ServiceAccount token signing key pair. Created once per state dir and reused on later `up`s.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Certificates are valid this long; the box is a test fixture, not a long-lived cluster. */
const VALIDITY_DAYS = 3650;

/** The in-cluster address of the `kubernetes` Service: first address of the service range. */
export const KUBERNETES_SERVICE_IP = "10.96.0.1";

/** DNS names kube-apiserver answers to. */
const APISERVER_DNS = [
  "localhost",
  "kubernetes",
  "kubernetes.default",
  "kubernetes.default.svc",
  "kubernetes.default.svc.cluster.local",
];

/** One certificate signed by the box's CA. */
export interface CertificateSpec {
  /** File stem: `<name>.crt` and `<name>.key` in the PKI dir. */
  readonly name: string;
  /** Subject common name (the user name for client certificates). */
  readonly commonName: string;
  /** Subject organisation (the group for client certificates). */
  readonly organization?: string;
  /**
   * Extended key usage. etcd also dials itself (its gRPC gateway) with its serving certificate,
   * so that one needs both.
   */
  readonly usage: "serverAuth" | "clientAuth" | "serverAuth, clientAuth";
  /** Subject alternative names, OpenSSL syntax (`DNS:x`, `IP:y`). */
  readonly altNames?: readonly string[];
}

/** The certificates the box needs, besides the CA. */
export const CERTIFICATES: readonly CertificateSpec[] = [
  {
    name: "apiserver",
    commonName: "kube-apiserver",
    usage: "serverAuth",
    altNames: [
      ...APISERVER_DNS.map(d => `DNS:${d}`),
      "IP:127.0.0.1",
      `IP:${KUBERNETES_SERVICE_IP}`,
    ],
  },
  {
    name: "etcd-server",
    commonName: "etcd",
    usage: "serverAuth, clientAuth",
    altNames: ["DNS:localhost", "IP:127.0.0.1"],
  },
  { name: "apiserver-etcd-client", commonName: "kube-apiserver-etcd-client", usage: "clientAuth" },
  {
    name: "admin",
    commonName: "swh-testenv-admin",
    organization: "system:masters",
    usage: "clientAuth",
  },
  {
    name: "kube-controller-manager",
    commonName: "system:kube-controller-manager",
    usage: "clientAuth",
  },
];

/** Paths of the PKI files. */
export interface PkiFiles {
  readonly caCert: string;
  readonly caKey: string;
  /** ServiceAccount token signing key (private) and its public half. */
  readonly saKey: string;
  readonly saPub: string;
  /** `<name>.crt` / `<name>.key` for every entry of CERTIFICATES. */
  cert(name: string): { readonly crt: string; readonly key: string };
}

/** Paths of the PKI files under `dir`. */
export function pkiFiles(dir: string): PkiFiles {
  return {
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    saKey: join(dir, "sa.key"),
    saPub: join(dir, "sa.pub"),
    cert: name => ({ crt: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) }),
  };
}

/** OpenSSL `-subj` value for a spec. */
export function subjectOf(spec: Pick<CertificateSpec, "commonName" | "organization">): string {
  const org = spec.organization ? `/O=${spec.organization}` : "";
  return `${org}/CN=${spec.commonName}`;
}

/** OpenSSL extension config text (section `ext`) for a leaf certificate. */
export function leafExtensions(spec: CertificateSpec): string {
  const lines = [
    "[ext]",
    "basicConstraints = critical, CA:FALSE",
    "keyUsage = critical, digitalSignature",
    `extendedKeyUsage = ${spec.usage}`,
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid",
  ];
  if (spec.altNames && spec.altNames.length > 0) {
    lines.push(`subjectAltName = ${spec.altNames.join(", ")}`);
  }
  return `${lines.join("\n")}\n`;
}

const CA_CONFIG = [
  "[req]",
  "distinguished_name = dn",
  "prompt = no",
  "[dn]",
  "CN = unused",
  "[ca]",
  "basicConstraints = critical, CA:TRUE",
  "keyUsage = critical, keyCertSign, cRLSign, digitalSignature",
  "subjectKeyIdentifier = hash",
  "",
].join("\n");

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run("openssl", args);
  } catch (err) {
    throw new Error(`openssl ${args[0] ?? ""} failed`, { cause: err });
  }
}

async function newKey(path: string): Promise<void> {
  await openssl([
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    path,
  ]);
  await chmod(path, 0o600);
}

async function makeCa(files: PkiFiles, work: string): Promise<void> {
  const config = join(work, "ca.cnf");
  await writeFile(config, CA_CONFIG);
  await newKey(files.caKey);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    files.caKey,
    "-subj",
    "/CN=swh-testenv-ca",
    "-days",
    String(VALIDITY_DAYS),
    "-sha256",
    "-config",
    config,
    "-extensions",
    "ca",
    "-out",
    files.caCert,
  ]);
}

async function makeLeaf(files: PkiFiles, spec: CertificateSpec, work: string): Promise<void> {
  const { crt, key } = files.cert(spec.name);
  const csr = join(work, `${spec.name}.csr`);
  const ext = join(work, `${spec.name}.ext`);
  await writeFile(ext, leafExtensions(spec));
  await writeFile(join(work, "req.cnf"), "[req]\ndistinguished_name = dn\n[dn]\n");
  await newKey(key);
  await openssl([
    "req",
    "-new",
    "-key",
    key,
    "-subj",
    subjectOf(spec),
    "-config",
    join(work, "req.cnf"),
    "-out",
    csr,
  ]);
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    files.caCert,
    "-CAkey",
    files.caKey,
    "-set_serial",
    `0x${randomBytes(16).toString("hex")}`,
    "-days",
    String(VALIDITY_DAYS),
    "-sha256",
    "-extfile",
    ext,
    "-extensions",
    "ext",
    "-out",
    crt,
  ]);
}

async function makeServiceAccountKeys(files: PkiFiles): Promise<void> {
  await newKey(files.saKey);
  await openssl(["pkey", "-in", files.saKey, "-pubout", "-out", files.saPub]);
}

/**
 * Creates whatever part of the PKI is missing under `dir` and returns the paths, with the `extra`
 * certificates (the real nodes' kubelets, kube-proxy, kube-scheduler) besides CERTIFICATES. A new
 * CA invalidates every leaf, so when the CA is missing all certificates are reissued.
 */
export async function ensurePki(
  dir: string,
  extra: readonly CertificateSpec[] = [],
): Promise<PkiFiles> {
  const files = pkiFiles(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const work = await mkdtemp(join(dir, ".work-"));
  try {
    const freshCa = !(await exists(files.caCert)) || !(await exists(files.caKey));
    if (freshCa) await makeCa(files, work);
    for (const spec of [...CERTIFICATES, ...extra]) {
      const { crt, key } = files.cert(spec.name);
      if (freshCa || !(await exists(crt)) || !(await exists(key)))
        await makeLeaf(files, spec, work);
    }
    if (!(await exists(files.saKey)) || !(await exists(files.saPub))) {
      await makeServiceAccountKeys(files);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return files;
}
