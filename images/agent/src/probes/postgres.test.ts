// The PostgreSQL prober's paths that need no server: refused and hung ports, unusable
// credentials and TLS material, and the wrong mode. The paths that need a server are in
// tests/integration/postgres-probe.test.ts against real PostgreSQL.

import { blackholeAvailable, startBlackhole } from "../../../../tests/support/blackhole.js";
import { closedPort } from "../../../../tests/support/loopback.js";
import { createPostgresProber } from "./postgres.js";
import type { PostgresCredentials, ProbeSpec } from "./types.js";

const creds: PostgresCredentials = { user: "probe", password: "secret-pw", tlsMode: "Disabled" };

function spec(
  port: number,
  credentials: PostgresCredentials | { error: string } = creds,
): ProbeSpec {
  return { mode: "PostgreSQL", port, query: "select 1", credentials };
}

describe("PostgreSQL prober without a server", () => {
  const probe = createPostgresProber();

  it.each<PostgresCredentials["tlsMode"]>(["Disabled", "Prefer", "VerifyAll"])(
    "reports a refused port (%s)",
    async tlsMode => {
      const outcome = await probe(
        "127.0.0.1",
        spec(await closedPort(), { ...creds, tlsMode }),
        1_000,
      );
      expect(outcome).toMatchObject({ ok: false, reason: "connect ECONNREFUSED" });
    },
  );

  it("times out against a port that never answers, within the probe timeout", async () => {
    if (!blackholeAvailable()) {
      console.warn("skipped: python3 (needed for the full-backlog listener) is not installed");
      return;
    }
    const hole = await startBlackhole();
    try {
      const outcome = await probe(hole.host, spec(hole.port), 300);
      expect(outcome.ok).toBe(false);
      expect(outcome.reason).toMatch(/^(timeout after 300 ms|connect timeout)$/);
      expect(outcome.durationMs).toBeLessThan(800);
    } finally {
      await hole.close();
    }
  });

  it("fails with the credentials error when the Secret could not be resolved", async () => {
    const outcome = await probe(
      "127.0.0.1",
      spec(5432, { error: "Secret ns/db-creds has no key password" }),
      1_000,
    );
    expect(outcome).toMatchObject({ ok: false, reason: "Secret ns/db-creds has no key password" });
  });

  it("fails on unusable TLS material before connecting", async () => {
    const outcome = await probe(
      "127.0.0.1",
      spec(5432, { ...creds, tlsMode: "VerifyCA", caCert: "junk" }),
      1_000,
    );
    expect(outcome.reason).toMatch(/^invalid caCert/);
    expect(outcome.durationMs).toBeLessThan(50);
  });

  it("rejects a spec of another mode without throwing", async () => {
    const outcome = await probe("127.0.0.1", { mode: "TCP", port: 1 }, 1_000);
    expect(outcome).toMatchObject({ ok: false, reason: "PostgreSQL prober given a TCP probe" });
  });
});
