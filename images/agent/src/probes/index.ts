// Entry point of the probers: builds one prober per mode (sharing nothing between modes) and
// dispatches a probe to the prober of its mode. The scheduler takes the `probers` record; the
// owner of the set calls `close()` on shutdown to drop the HTTP prober's targets and TLS sessions.

import { probeGrpc } from "./grpc.js";
import { createHttpProber, type HttpProberOptions } from "./http.js";
import { failed, monotonicMs } from "./outcome.js";
import { createPostgresProber, type PostgresProberOptions } from "./postgres.js";
import { probeTcp } from "./tcp.js";
import type { Prober, ProbeOutcome, ProbeSpec } from "./types.js";

export { describeProbe } from "./types.js";
export type { PostgresCredentials, Prober, ProbeOutcome, ProbeSpec } from "./types.js";

/** One prober per probe mode. */
export type ProberRegistry = Readonly<Record<ProbeSpec["mode"], Prober>>;

/** The probers of an agent, and how to release what they hold. */
export interface ProberSet {
  readonly probers: ProberRegistry;
  /** Drops cached HTTP targets, TLS sessions and timers; probes started afterwards still work. */
  close(): void;
}

/** Options of the individual probers. */
export interface ProberSetOptions {
  http?: HttpProberOptions;
  postgres?: PostgresProberOptions;
}

/** Builds the TCP, HTTP, PostgreSQL and gRPC probers. */
export function createProbers(options: ProberSetOptions = {}): ProberSet {
  const http = createHttpProber(options.http);
  return {
    probers: {
      TCP: probeTcp,
      HTTP: http.probe,
      PostgreSQL: createPostgresProber(options.postgres),
      GRPC: probeGrpc,
    },
    close: () => http.close(),
  };
}

/**
 * Runs `spec` with the prober of its mode. Never rejects: a prober that breaks its contract and
 * throws is reported as a failed probe.
 */
export async function runProbe(
  probers: ProberRegistry,
  address: string,
  spec: ProbeSpec,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const startedAt = monotonicMs();
  try {
    return await probers[spec.mode](address, spec, timeoutMs);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return failed(startedAt, `prober error: ${message}`);
  }
}
