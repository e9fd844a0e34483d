// HAProxy as the reference: the same targets checked by HAProxy's active health checks, so the
// agent's CPU per probe can be put side by side with a mature C implementation. One backend per
// target with one server `check inter <period>`, the same thresholds as the agent's default
// (fall 3, rise 1) and one thread, to compare per core. HAProxy never keeps a check connection
// alive: every check is a new connection (HTTP checks send `Connection: close`), like the agent's
// probes; HTTPS checks verify the targets' certificate against their CA, send SNI, and resume
// TLS sessions (HAProxy's default), as the agent does. SMTP checks hold the agent's conversation
// with `tcp-check` (greeting, EHLO, 250, QUIT).

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { JsonChild } from "../lib/child.js";

/** What HAProxy checks. */
export interface HaproxyChecks {
  readonly mode: "TCP" | "HTTP" | "HTTPS" | "SMTP";
  readonly addresses: readonly string[];
  readonly port: number;
  readonly periodMs: number;
  readonly timeoutMs: number;
  /** HTTPS: the CA file to verify against and the name the certificate is for (SNI, Host). */
  readonly tls?: { readonly caFile: string; readonly host: string };
}

/**
 * The configuration text for `checks` (pure). HAProxy refuses to start without a listener, so
 * an idle frontend binds `idleSocket` (a unix socket nobody connects to).
 */
export function haproxyConfig(checks: HaproxyChecks, idleSocket: string): string {
  return [
    ...globalSection(checks, idleSocket),
    ...checks.addresses.flatMap((a, i) => backend(checks, a, i)),
  ].join("\n");
}

function globalSection(checks: HaproxyChecks, idleSocket: string): string[] {
  const http = checks.mode === "HTTP" || checks.mode === "HTTPS";
  return [
    "global",
    // Checks do not count against maxconn; a small one keeps HAProxy's file-limit demand
    // (2 × maxconn + servers) under limits that cannot be raised here.
    "  maxconn 1000",
    "  nbthread 1",
    "",
    "defaults",
    `  mode ${http ? "http" : "tcp"}`,
    `  timeout connect ${checks.timeoutMs}ms`,
    `  timeout check ${checks.timeoutMs}ms`,
    "  timeout client 5s",
    "  timeout server 5s",
    `  default-server inter ${checks.periodMs}ms fall 3 rise 1`,
    "",
    "frontend idle",
    `  bind unix@${idleSocket}`,
    "  default_backend target-0",
    "",
  ];
}

/** The agent's SMTP conversation as HAProxy's tcp-check rules (the same steps, in order). */
const SMTP_TCP_CHECK = [
  "  option tcp-check",
  "  tcp-check connect",
  "  tcp-check expect string 220",
  "  tcp-check send EHLO\\ swh-probe\\r\\n",
  "  tcp-check expect string 250",
  "  tcp-check send QUIT\\r\\n",
];

function backend(checks: HaproxyChecks, address: string, index: number): string[] {
  const lines = [`backend target-${index}`];
  const tls = checks.mode === "HTTPS" ? checks.tls : undefined;
  if (checks.mode === "HTTPS" && tls === undefined) throw new Error("HTTPS checks need `tls`");
  if (checks.mode === "SMTP") lines.push(...SMTP_TCP_CHECK);
  if (checks.mode === "HTTP" || checks.mode === "HTTPS") {
    const host = tls?.host ?? `${address}:${checks.port}`;
    lines.push("  option httpchk");
    lines.push(`  http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host ${host}`);
  }
  const ssl =
    tls === undefined
      ? ""
      : ` check-ssl verify required ca-file ${tls.caFile} check-sni ${tls.host} verifyhost ${tls.host}`;
  lines.push(`  server s ${address}:${checks.port} check${ssl}`, "");
  return lines;
}

/** Writes the configuration into `dir` and starts HAProxy in the foreground (`prefix`: taskset). */
export async function startHaproxy(
  checks: HaproxyChecks,
  dir: string,
  prefix: readonly string[],
): Promise<JsonChild> {
  const file = join(dir, `haproxy-${checks.mode}-${checks.addresses.length}.cfg`);
  await writeFile(file, haproxyConfig(checks, join(dir, "idle.sock")));
  const [command, ...rest] = [...prefix, "haproxy", "-db", "-f", file];
  const child = new JsonChild({ file: command ?? "haproxy", args: rest, name: "haproxy" });
  // A configuration error ends it within a moment; a healthy one keeps running.
  await new Promise(resolve => setTimeout(resolve, 1_000));
  if (child.process.exitCode !== null) {
    throw new Error(
      `haproxy exited at start (code ${child.process.exitCode}): ${child.stderrTail}`,
    );
  }
  return child;
}
