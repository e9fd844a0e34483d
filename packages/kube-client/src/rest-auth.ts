// The REST client's credentials: headers and TLS material read from a KubeConfig (which re-reads
// a rotating ServiceAccount token), and the keep-alive agent that carries them. The agent is
// replaced only when the TLS material changes, so connections survive a token refresh.

import * as http from "node:http";
import * as https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

/** Credentials as of `fetchedAt`, and the pooled agent they go with. */
export interface AuthState {
  readonly headers: Record<string, string>;
  readonly agent: http.Agent;
  readonly tlsFingerprint: string;
  readonly fetchedAt: number;
}

/**
 * Reads the credentials from `kc` again. The previous state's agent is kept when the TLS
 * material is the same, and destroyed when it differs.
 */
export async function fetchAuth(
  kc: KubeConfig,
  server: URL,
  previous: AuthState | undefined,
  now: number,
): Promise<AuthState> {
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const headers = headerRecord(opts.headers);
  if (typeof opts.auth === "string" && opts.auth !== "") {
    headers.Authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
  }
  const fingerprint = tlsFingerprint(opts);
  let agent = previous?.agent;
  if (!agent || previous?.tlsFingerprint !== fingerprint) {
    previous?.agent.destroy();
    agent = newAgent(server, opts);
  }
  return { headers, agent, tlsFingerprint: fingerprint, fetchedAt: now };
}

function tlsFingerprint(opts: https.RequestOptions): string {
  const part = (v: unknown): string =>
    Buffer.isBuffer(v) ? v.toString("base64") : typeof v === "string" ? v : "";
  return [opts.ca, opts.cert, opts.key, opts.rejectUnauthorized, opts.servername]
    .map(part)
    .join("|");
}

function headerRecord(headers: https.RequestOptions["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[key] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

function newAgent(server: URL, opts: https.RequestOptions): http.Agent {
  if (server.protocol === "http:") return new http.Agent({ keepAlive: true });
  return new https.Agent({
    keepAlive: true,
    ...(opts.ca ? { ca: opts.ca } : {}),
    ...(opts.cert ? { cert: opts.cert } : {}),
    ...(opts.key ? { key: opts.key } : {}),
    ...(opts.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    ...(opts.servername ? { servername: opts.servername } : {}),
  });
}
