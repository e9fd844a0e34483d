// PostgreSQL probe credentials from a Secret. Any Secret type is accepted (the seed manifests make
// an Opaque Secret with `kubectl create secret generic`; the Go implementation only read its own
// custom type - a known bug). Problems never throw: they become `{ error }`, which the probe
// reports as its failure reason, so the endpoint goes not ready and says why (fail closed).
// Error texts name the Secret and the key, never a value.

import type { PostgresCredentials } from "../probes/types.js";

/** Parsed credentials, or why the Secret cannot provide them. */
export type CredentialsResult = PostgresCredentials | { readonly error: string };

/** The TLS modes a Secret may name in `tlsMode`. */
export const TLS_MODES: ReadonlyArray<PostgresCredentials["tlsMode"]> = [
  "Disabled",
  "Prefer",
  "SkipVerification",
  "VerifyCA",
  "VerifyAll",
];

/** `tlsMode` when the Secret has none. */
export const DEFAULT_TLS_MODE: PostgresCredentials["tlsMode"] = "Prefer";

function decode(data: Readonly<Record<string, string>>, key: string): string | undefined {
  const encoded = data[key];
  if (typeof encoded !== "string") return undefined;
  return Buffer.from(encoded, "base64").toString("utf8");
}

function parseTlsMode(text: string | undefined): PostgresCredentials["tlsMode"] | undefined {
  if (text === undefined || text.trim() === "") return DEFAULT_TLS_MODE;
  const wanted = text.trim().toLowerCase();
  return TLS_MODES.find(mode => mode.toLowerCase() === wanted);
}

/**
 * Credentials from a Secret's `data` (base64 values, as the API returns them). Keys: `user`
 * (required), `password` (required unless a client certificate and key are given), `tlsMode`
 * (Disabled|Prefer|SkipVerification|VerifyCA|VerifyAll, case-insensitive, default Prefer),
 * `caCert`, `clientCert`, `clientKey`. `ref` is `namespace/name`, used in error texts only.
 */
export function credentialsFromSecretData(
  ref: string,
  data: Readonly<Record<string, string>> | undefined,
): CredentialsResult {
  const values = data ?? {};
  const user = decode(values, "user");
  if (user === undefined || user === "") return { error: `Secret ${ref} has no key "user"` };
  const clientCert = decode(values, "clientCert");
  const clientKey = decode(values, "clientKey");
  const password = decode(values, "password");
  if (password === undefined && (clientCert === undefined || clientKey === undefined)) {
    return { error: `Secret ${ref} has no key "password" (nor clientCert and clientKey)` };
  }
  const tlsMode = parseTlsMode(decode(values, "tlsMode"));
  if (tlsMode === undefined) {
    return { error: `Secret ${ref}: tlsMode must be one of ${TLS_MODES.join(", ")}` };
  }
  const caCert = decode(values, "caCert");
  return {
    user,
    password: password ?? "",
    tlsMode,
    ...(caCert ? { caCert } : {}),
    ...(clientCert ? { clientCert } : {}),
    ...(clientKey ? { clientKey } : {}),
  };
}

/** Credentials used when a PostgreSQL probe names no Secret: user `postgres`, no password. */
export const NO_SECRET_CREDENTIALS: PostgresCredentials = {
  user: "postgres",
  password: "",
  tlsMode: DEFAULT_TLS_MODE,
};

/** True when `result` is an error, not credentials. */
export function isCredentialsError(
  result: CredentialsResult,
): result is { readonly error: string } {
  return "error" in result;
}
