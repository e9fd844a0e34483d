// Turns one `spec.healthcheck.probes[]` entry of a ServiceWithHealthchecks into the ProbeSpec the
// scheduler runs for one pod address: CRD defaults applied (the API server applies them too, but
// the agent never trusts that), the target port resolved against the pod, credentials attached.
// Anything that makes a probe impossible to run (an unresolvable named port, a malformed status
// code list, a probe whose mode has no matching section) becomes a ProbeFailure: the endpoint is
// then not ready and says why. Nothing here throws.

import { HEALTHCHECK_DEFAULTS, type Probe } from "../../../../api/v1alpha1.js";
import type { ProbeFailure } from "../../../../api/contract.js";
import { parseConversation } from "../probes/tcp-conversation.js";
import { describeProbe, type ProbeSpec } from "../probes/types.js";
import { NO_SECRET_CREDENTIALS, type CredentialsResult } from "./credentials.js";
import { resolveTargetPort, type PodSnapshot } from "./pods.js";

/** Looks up credentials by Secret name in the SWH's namespace; "pending" until first read. */
export type CredentialsLookup = (secretName: string) => CredentialsResult | "pending";

/** A probe ready to run, or why it cannot run. */
export type ProbeBuild = { readonly spec: ProbeSpec } | { readonly failure: ProbeFailure };

/** Reason used while a referenced Secret has not been read yet. */
export const SECRET_PENDING_REASON = "waiting for the credentials Secret to be read";

function hostOf(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}

function failure(probe: Probe, address: string, port: string | number, reason: string): ProbeBuild {
  return { failure: { probe: `${probe.mode}:${hostOf(address)}:${port}`, reason } };
}

/**
 * Parses expectedStatusCodes (numbers or "NNN-NNN" strings) into inclusive ranges; an empty
 * or absent list gives [] (the prober then accepts 200-399).
 */
export function parseStatusCodes(
  codes: ReadonlyArray<number | string> | undefined,
): Array<readonly [number, number]> | { error: string } {
  const ranges: Array<readonly [number, number]> = [];
  for (const code of codes ?? []) {
    const match = /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/.exec(String(code));
    const low = Number(match?.[1]);
    const high = match?.[2] === undefined ? low : Number(match[2]);
    if (!match || low < 100 || high > 599 || low > high) {
      return { error: `invalid expectedStatusCodes entry ${JSON.stringify(code)}` };
    }
    ranges.push([low, high]);
  }
  return ranges;
}

function normalizePath(path: string | undefined): string {
  if (path === undefined || path === "") return "/";
  return path.startsWith("/") ? path : `/${path}`;
}

function targetOf(probe: Probe): number | string | undefined {
  switch (probe.mode) {
    case "TCP":
      return probe.tcp?.targetPort;
    case "HTTP":
      return probe.http?.targetPort;
    case "PostgreSQL":
      return probe.postgreSQL?.targetPort;
    case "GRPC":
      return probe.grpc?.targetPort;
    default:
      return undefined;
  }
}

function httpSpec(probe: Probe, port: number): ProbeSpec | { error: string } {
  const http = probe.http ?? { targetPort: port };
  const codes = parseStatusCodes(http.expectedStatusCodes);
  if ("error" in codes) return codes;
  return {
    mode: "HTTP",
    port,
    path: normalizePath(http.path),
    ...(http.host ? { host: http.host } : {}),
    headers: (http.httpHeaders ?? []).map(h => ({ name: h.name, value: h.value })),
    method: http.method ?? HEALTHCHECK_DEFAULTS.httpMethod,
    scheme: http.scheme ?? HEALTHCHECK_DEFAULTS.httpScheme,
    insecureSkipTLSVerify: http.insecureSkipTLSVerify ?? false,
    ...(http.caCert ? { caCert: http.caCert } : {}),
    expectedStatusCodes: codes,
  };
}

function tcpSpec(probe: Probe, port: number): ProbeSpec | { error: string } {
  const inputs = probe.tcp?.conversation;
  if (inputs === undefined) return { mode: "TCP", port };
  const conversation = parseConversation(inputs);
  return "error" in conversation ? conversation : { mode: "TCP", port, conversation };
}

function postgresSpec(
  probe: Probe,
  port: number,
  lookup: CredentialsLookup,
): ProbeSpec | "pending" {
  const pg = probe.postgreSQL ?? { targetPort: port };
  const credentials = pg.authSecretName ? lookup(pg.authSecretName) : NO_SECRET_CREDENTIALS;
  if (credentials === "pending") return "pending";
  return {
    mode: "PostgreSQL",
    port,
    ...(pg.dbName ? { dbName: pg.dbName } : {}),
    query: pg.query ?? HEALTHCHECK_DEFAULTS.postgresQuery,
    credentials,
  };
}

function grpcSpec(probe: Probe, port: number): ProbeSpec {
  const grpc = probe.grpc ?? { targetPort: port };
  return {
    mode: "GRPC",
    port,
    service: grpc.service ?? "", // the server's overall health
    scheme: grpc.scheme ?? HEALTHCHECK_DEFAULTS.grpcScheme,
    insecureSkipTLSVerify: grpc.insecureSkipTLSVerify ?? false,
    ...(grpc.caCert ? { caCert: grpc.caCert } : {}),
  };
}

type Section = "tcp" | "http" | "postgreSQL" | "grpc";

const SECTION: Record<Probe["mode"], Section> = {
  TCP: "tcp",
  HTTP: "http",
  PostgreSQL: "postgreSQL",
  GRPC: "grpc",
};

function specFor(
  probe: Probe,
  port: number,
  lookup: CredentialsLookup,
): ProbeSpec | { error: string } | "pending" {
  switch (probe.mode) {
    case "TCP":
      return tcpSpec(probe, port);
    case "HTTP":
      return httpSpec(probe, port);
    case "PostgreSQL":
      return postgresSpec(probe, port, lookup);
    case "GRPC":
      return grpcSpec(probe, port);
    default:
      return { error: `unknown probe mode ${JSON.stringify(probe.mode)}` };
  }
}

/** Builds the ProbeSpec of `probe` for `address` of `pod`, or the reason it cannot run. */
export function buildProbe(
  probe: Probe,
  pod: PodSnapshot,
  address: string,
  lookup: CredentialsLookup,
): ProbeBuild {
  const section = SECTION[probe.mode] as Section | undefined;
  const target = targetOf(probe);
  if (section === undefined || probe[section] === undefined || target === undefined) {
    const what = section ? `the "${section}" section with a targetPort` : "a known mode";
    return failure(probe, address, "?", `probe mode ${probe.mode} needs ${what}`);
  }
  const resolved = resolveTargetPort(pod, target, 0, "TCP");
  if ("error" in resolved) return failure(probe, address, target, resolved.error);
  if (resolved.port < 1 || resolved.port > 65535) {
    return failure(probe, address, resolved.port, "target port out of range 1-65535");
  }
  const spec = specFor(probe, resolved.port, lookup);
  if (spec === "pending") return failure(probe, address, resolved.port, SECRET_PENDING_REASON);
  if ("error" in spec) return failure(probe, address, resolved.port, spec.error);
  return { spec };
}

/** Timing and thresholds of a probe, defaults applied, in milliseconds. */
export interface ProbeTiming {
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly initialDelayMs: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
  /** Fast re-check interval; absent when off or not below the period. */
  readonly recheckMs?: number;
}

/** Positive integer or the default. */
function positive(value: number | undefined, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 1 ? value : fallback;
}

/** The timing of `probe` under a healthcheck with `periodSeconds`/`initialDelaySeconds`. */
export function probeTiming(
  probe: Probe,
  healthcheck: { periodSeconds?: number; initialDelaySeconds?: number },
): ProbeTiming {
  const delay = healthcheck.initialDelaySeconds;
  const periodMs = positive(healthcheck.periodSeconds, HEALTHCHECK_DEFAULTS.periodSeconds) * 1000;
  const recheck = probe.recheckIntervalMilliseconds;
  // The CRD's bounds (100 or more, below the period), checked again: an SWH stored under an
  // older schema is not re-validated, and a value outside them turns re-checks off.
  const recheckOn = typeof recheck === "number" && recheck >= 100 && recheck < periodMs;
  return {
    periodMs,
    timeoutMs: positive(probe.timeoutSeconds, HEALTHCHECK_DEFAULTS.timeoutSeconds) * 1000,
    initialDelayMs:
      (typeof delay === "number" && delay >= 0 ? delay : HEALTHCHECK_DEFAULTS.initialDelaySeconds) *
      1000,
    successThreshold: positive(probe.successThreshold, HEALTHCHECK_DEFAULTS.successThreshold),
    failureThreshold: positive(probe.failureThreshold, HEALTHCHECK_DEFAULTS.failureThreshold),
    ...(recheckOn ? { recheckMs: Math.floor(recheck) } : {}),
  };
}

/** The `mode:ip:port` name of a runnable probe (re-exported for the endpoint builder). */
export function probeName(address: string, spec: ProbeSpec): string {
  return describeProbe(address, spec);
}
