// PEM sanity checks shared by the HTTPS and PostgreSQL probers. OpenSSL silently ignores a CA
// bundle it cannot parse and then fails every handshake with a misleading "unable to get local
// issuer certificate"; checking up front lets the probe say "invalid caCert" instead.

import { X509Certificate } from "node:crypto";

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** Throws unless `pem` holds at least one certificate and every certificate in it parses. */
export function assertPemCertificates(pem: string): void {
  const blocks = pem.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) throw new Error("no PEM certificate found");
  for (const block of blocks) new X509Certificate(block);
}
