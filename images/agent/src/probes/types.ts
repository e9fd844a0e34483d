// The contract between the probers (this directory) and everything that runs them: what a probe
// is once CRD defaults are applied and its port resolved, what a probe attempt yields, and the
// one signature every prober shares. The Kubernetes side of the agent builds ProbeSpec values;
// the scheduler calls Prober functions. Keep this file free of runtime dependencies.

import type { ConversationStep } from "./tcp-conversation.js";

/** Credentials and TLS settings for a PostgreSQL probe, resolved from the referenced Secret. */
export interface PostgresCredentials {
  user: string;
  password: string;
  /** How to use TLS; the CRD default is "Prefer". */
  tlsMode: "Disabled" | "Prefer" | "SkipVerification" | "VerifyCA" | "VerifyAll";
  /** PEM CA bundle trusted for VerifyCA/VerifyAll (replaces the system roots for this probe). */
  caCert?: string;
  /** PEM client certificate and key for mutual TLS. */
  clientCert?: string;
  clientKey?: string;
}

/** A probe with CRD defaults applied and its target port already resolved to a number. */
export type ProbeSpec =
  | {
      mode: "TCP";
      port: number;
      /** Steps run on the connection once established; absent: connecting decides. */
      conversation?: readonly ConversationStep[];
    }
  | {
      mode: "HTTP";
      port: number;
      path: string;
      host?: string;
      headers: ReadonlyArray<{ name: string; value: string }>;
      method: "GET" | "HEAD";
      scheme: "HTTP" | "HTTPS";
      insecureSkipTLSVerify: boolean;
      caCert?: string;
      /** Inclusive ranges; [] = 200-399. */
      expectedStatusCodes: ReadonlyArray<readonly [number, number]>;
    }
  | {
      mode: "PostgreSQL";
      port: number;
      dbName?: string;
      query: string;
      /** Resolved credentials, or why they could not be resolved (probe then fails with it). */
      credentials: PostgresCredentials | { error: string };
    }
  | {
      mode: "GRPC";
      port: number;
      /** HealthCheckRequest.service; "" asks for the server's overall health. */
      service: string;
      scheme: "HTTP" | "HTTPS";
      insecureSkipTLSVerify: boolean;
      caCert?: string;
    };

/** The result of one probe attempt. */
export interface ProbeOutcome {
  ok: boolean;
  /** "" when ok; short, credential-free */
  reason: string;
  durationMs: number;
}

/** One prober per mode. Never throws: network errors and timeouts become { ok: false, reason }. */
export type Prober = (address: string, spec: ProbeSpec, timeoutMs: number) => Promise<ProbeOutcome>;

/**
 * `mode:ip:port` naming of a probe, the Go implementation's failedProbes format, e.g.
 * `HTTP:10.0.0.5:8080`; IPv6 addresses are bracketed (`TCP:[fd00::1]:5432`).
 */
export function describeProbe(address: string, spec: ProbeSpec): string {
  const host = address.includes(":") ? `[${address}]` : address;
  return `${spec.mode}:${host}:${spec.port}`;
}
