// A throwaway PKI for tests: a CA and certificates it signs (server certificates with DNS and
// IP subject alternative names, client certificates for mutual TLS), made with the openssl CLI
// in a temporary directory. EC P-256 keys keep generation fast (tens of milliseconds each).

import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A key pair and certificate, as PEM text and as files in the PKI's directory. */
export interface IssuedCertificate {
  readonly cert: string;
  readonly key: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/** What to put in an issued certificate. */
export interface CertificateRequest {
  /** Subject common name (for client certificates: the PostgreSQL user name). */
  commonName: string;
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  /** Client certificate (extendedKeyUsage clientAuth) instead of a server one. */
  client?: boolean;
  /** Validity in days; negative makes an already expired certificate. */
  days?: number;
}

/** A test certificate authority. */
export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly caCertPath: string;
  issue(request: CertificateRequest): Promise<IssuedCertificate>;
  /** Removes the directory with every key in it. */
  dispose(): Promise<void>;
}

/** Creates a CA named `name` in a fresh temporary directory. */
export async function createTestPki(name = "swh test CA"): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), "swh-pki-"));
  const caKeyPath = join(dir, "ca.key");
  const caCertPath = join(dir, "ca.crt");
  await openssl([
    "req",
    "-x509",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    caKeyPath,
    "-out",
    caCertPath,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  const caCert = await readFile(caCertPath, "utf8");
  let serial = 0;
  return {
    dir,
    caCert,
    caCertPath,
    issue: async request => {
      serial += 1;
      return issue(dir, { caKeyPath, caCertPath }, request, serial);
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

async function issue(
  dir: string,
  ca: { caKeyPath: string; caCertPath: string },
  request: CertificateRequest,
  serial: number,
): Promise<IssuedCertificate> {
  const base = join(dir, `${serial}-${request.commonName.replace(/[^\w.-]/g, "_")}`);
  const keyPath = `${base}.key`;
  const certPath = `${base}.crt`;
  const csrPath = `${base}.csr`;
  const extPath = `${base}.ext`;
  await openssl([
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    keyPath,
    "-out",
    csrPath,
    "-subj",
    `/CN=${request.commonName}`,
  ]);
  await writeFile(extPath, extensions(request));
  // A negative day count yields notAfter before notBefore: an already expired certificate.
  const validity = ["-days", String(request.days ?? 2)];
  await openssl([
    "x509",
    "-req",
    "-in",
    csrPath,
    "-CA",
    ca.caCertPath,
    "-CAkey",
    ca.caKeyPath,
    "-set_serial",
    String(1000 + serial),
    "-out",
    certPath,
    "-extfile",
    extPath,
    ...validity,
  ]);
  return {
    cert: await readFile(certPath, "utf8"),
    key: await readFile(keyPath, "utf8"),
    certPath,
    keyPath,
  };
}

function extensions(request: CertificateRequest): string {
  const names = [
    ...(request.dnsNames ?? []).map(dns => `DNS:${dns}`),
    ...(request.ipAddresses ?? []).map(ip => `IP:${ip}`),
  ];
  const lines = [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    `extendedKeyUsage=${request.client === true ? "clientAuth" : "serverAuth"}`,
  ];
  if (names.length > 0) lines.push(`subjectAltName=${names.join(",")}`);
  return `${lines.join("\n")}\n`;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run("openssl", args);
  } catch (error) {
    throw new Error(`openssl ${args[0] ?? ""} failed`, { cause: error });
  }
}
