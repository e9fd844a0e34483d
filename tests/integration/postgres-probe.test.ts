// The PostgreSQL prober against real PostgreSQL 15 servers started by the test: a TLS-enabled
// primary with a streaming replica (so `SELECT NOT pg_is_in_recovery()` tells them apart) and
// a plain-text server. Covers credentials, missing databases, every TLS mode, client
// certificates, the read-only guard, timeouts and a stopped server.

import { jest } from "@jest/globals";
import { readFile } from "node:fs/promises";
import { createPostgresProber } from "../../images/agent/src/probes/postgres.js";
import type { PostgresCredentials, ProbeSpec } from "../../images/agent/src/probes/types.js";
import { PostgresCluster, postgresBinDir, type PostgresNode } from "../support/postgres-cluster.js";
import { createTestPki, type IssuedCertificate, type TestPki } from "../support/tls.js";

type PostgresSpec = Extract<ProbeSpec, { mode: "PostgreSQL" }>;

const PASSWORD = "probe-Secret-4711";
const PRIMARY = "127.0.0.31";
const REPLICA = "127.0.0.32";
const PLAIN = "127.0.0.33";

const bin = postgresBinDir();
const describeIfPostgres = bin === undefined ? describe.skip : describe;
if (bin === undefined) {
  console.warn("skipped: PostgreSQL binaries are not installed (apt-get install postgresql)");
}

function pgSpec(
  node: PostgresNode,
  overrides: Partial<PostgresSpec> = {},
  creds: Partial<PostgresCredentials> = {},
): PostgresSpec {
  return {
    mode: "PostgreSQL",
    port: node.port,
    dbName: "appdb",
    query: "select 1",
    credentials: { user: "probe", password: PASSWORD, tlsMode: "Prefer", ...creds },
    ...overrides,
  };
}

/** Roles and objects every server needs; run on primaries (replicas get them by replication). */
async function seed(cluster: PostgresCluster, node: PostgresNode): Promise<void> {
  await cluster.sql(node, `CREATE ROLE probe LOGIN PASSWORD '${PASSWORD}'`);
  await cluster.sql(node, `CREATE ROLE tlsonly LOGIN PASSWORD '${PASSWORD}'`);
  await cluster.sql(node, "CREATE ROLE certuser LOGIN");
  await cluster.sql(node, "CREATE DATABASE appdb OWNER probe");
}

describeIfPostgres("PostgreSQL prober against real servers", () => {
  jest.setTimeout(60_000);
  let pki: TestPki;
  let otherPki: TestPki;
  let clientCert: IssuedCertificate;
  let tlsCluster: PostgresCluster;
  let plainCluster: PostgresCluster;
  let primary: PostgresNode;
  let replica: PostgresNode;
  let plain: PostgresNode;
  const probe = createPostgresProber();

  beforeAll(async () => {
    pki = await createTestPki("pg test CA");
    otherPki = await createTestPki("unrelated CA");
    const serverCert = await pki.issue({
      commonName: "db.example",
      dnsNames: ["db.example"],
      ipAddresses: [PRIMARY],
    });
    clientCert = await pki.issue({ commonName: "certuser", client: true });
    [tlsCluster, plainCluster] = await Promise.all([
      PostgresCluster.start({ address: PRIMARY, tls: { ...serverCert, clientCa: pki.caCert } }),
      PostgresCluster.start({ address: PLAIN, settings: ["log_connections = on"] }),
    ]);
    primary = tlsCluster.primary;
    plain = plainCluster.primary;
    await Promise.all([seed(tlsCluster, primary), seed(plainCluster, plain)]);
    await tlsCluster.sql(primary, "SELECT 1");
    replica = await tlsCluster.addReplica("replica", REPLICA);
    await tlsCluster.waitForCatchUp(replica);
  });
  afterAll(async () => {
    await Promise.all([
      tlsCluster?.destroy(),
      plainCluster?.destroy(),
      pki?.dispose(),
      otherPki?.dispose(),
    ]);
  });

  describe("queries and roles", () => {
    it("tells the primary from the replica with SELECT NOT pg_is_in_recovery()", async () => {
      const query = "SELECT NOT pg_is_in_recovery()";
      expect(await probe(PRIMARY, pgSpec(primary, { query }), 2_000)).toMatchObject({
        ok: true,
        reason: "",
      });
      expect(await probe(REPLICA, pgSpec(replica, { query }), 2_000)).toMatchObject({
        ok: false,
        reason: "query returned false",
      });
      expect(await probe(REPLICA, pgSpec(replica), 2_000)).toMatchObject({ ok: true });
    });

    it.each([
      ["SELECT 'yes'", true, ""],
      ["SELECT 'ON'::text", true, ""],
      ["SELECT 1::bigint", true, ""],
      ["SELECT 't'::bool", true, ""],
      ["SELECT 0", false, "query returned false"],
      ["SELECT 'no'", false, "query returned false"],
      ["SELECT NULL", false, "query returned NULL"],
      ["SELECT 1 WHERE false", false, "query returned no rows"],
      // one statement with a trailing semicolon, comments and whitespace is still one statement
      ["  -- check\n  SELECT true ;  ", true, ""],
    ])("%s -> ok=%s", async (query, ok, reason) => {
      expect(await probe(PRIMARY, pgSpec(primary, { query }), 2_000)).toMatchObject({ ok, reason });
    });

    it("connects to the user's database when dbName is absent", async () => {
      const outcome = await probe(PRIMARY, pgSpec(primary, { dbName: undefined }), 2_000);
      // no database named "probe" exists: the default database is the user name, like libpq
      expect(outcome).toMatchObject({ ok: false, reason: "database does not exist" });
    });
  });

  describe("credentials", () => {
    it("fails a wrong password (scram) without leaking it", async () => {
      const outcome = await probe(
        PRIMARY,
        pgSpec(primary, {}, { password: `${PASSWORD}-wrong` }),
        2_000,
      );
      expect(outcome).toMatchObject({ ok: false, reason: "authentication failed" });
      expect(outcome.reason).not.toContain(PASSWORD);
    });

    it("fails an unknown user the same way", async () => {
      const outcome = await probe(PRIMARY, pgSpec(primary, {}, { user: "nobody" }), 2_000);
      expect(outcome).toMatchObject({ ok: false, reason: "authentication failed" });
    });

    it("fails a missing database", async () => {
      const outcome = await probe(PRIMARY, pgSpec(primary, { dbName: "nope" }), 2_000);
      expect(outcome).toMatchObject({ ok: false, reason: "database does not exist" });
    });

    it("reports unresolved credentials as given", async () => {
      const outcome = await probe(
        PRIMARY,
        pgSpec(primary, { credentials: { error: "Secret db/creds not found" } }),
        2_000,
      );
      expect(outcome).toMatchObject({ ok: false, reason: "Secret db/creds not found" });
    });
  });

  describe("TLS modes", () => {
    const sslQuery = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

    it.each<
      [string, () => PostgresNode, () => Partial<PostgresCredentials>, boolean, string | RegExp]
    >([
      // Prefer (the default) uses TLS when the server offers it
      ["Prefer uses TLS", () => primary, () => ({ tlsMode: "Prefer" }), true, ""],
      // Disabled never does
      [
        "Disabled is plain",
        () => primary,
        () => ({ tlsMode: "Disabled" }),
        false,
        "query returned false",
      ],
      // SkipVerification: TLS, any certificate
      [
        "SkipVerification",
        () => primary,
        () => ({ tlsMode: "SkipVerification", caCert: otherPki.caCert }),
        true,
        "",
      ],
      // VerifyCA: the chain must verify against caCert; the name does not matter (replica IP)
      [
        "VerifyCA, right CA",
        () => replica,
        () => ({ tlsMode: "VerifyCA", caCert: pki.caCert }),
        true,
        "",
      ],
      [
        "VerifyCA, wrong CA",
        () => primary,
        () => ({ tlsMode: "VerifyCA", caCert: otherPki.caCert }),
        false,
        "TLS SELF_SIGNED_CERT_IN_CHAIN",
      ],
      // VerifyCA without caCert: the system roots, which do not know the test CA
      [
        "VerifyCA, system roots",
        () => primary,
        () => ({ tlsMode: "VerifyCA" }),
        false,
        "TLS SELF_SIGNED_CERT_IN_CHAIN",
      ],
      // VerifyAll: chain and name; the certificate names the primary's IP only
      [
        "VerifyAll, matching IP",
        () => primary,
        () => ({ tlsMode: "VerifyAll", caCert: pki.caCert }),
        true,
        "",
      ],
      [
        "VerifyAll, other IP",
        () => replica,
        () => ({ tlsMode: "VerifyAll", caCert: pki.caCert }),
        false,
        "TLS ERR_TLS_CERT_ALTNAME_INVALID",
      ],
      // an unparsable CA bundle is reported before connecting
      [
        "VerifyCA, garbage caCert",
        () => primary,
        () => ({ tlsMode: "VerifyCA", caCert: "junk" }),
        false,
        /^invalid caCert/,
      ],
    ])("%s", async (_, node, creds, ok, reason) => {
      const target = node();
      const outcome = await probe(
        target.address,
        pgSpec(target, { query: sslQuery }, creds()),
        3_000,
      );
      expect(outcome.ok).toBe(ok);
      if (typeof reason === "string") expect(outcome.reason).toBe(reason);
      else expect(outcome.reason).toMatch(reason);
    });

    it("requires TLS where pg_hba.conf says hostssl only", async () => {
      const spec = (tlsMode: PostgresCredentials["tlsMode"]) =>
        pgSpec(primary, {}, { user: "tlsonly", tlsMode });
      expect(await probe(PRIMARY, spec("Disabled"), 2_000)).toMatchObject({
        ok: false,
        reason: "authentication rejected (pg_hba.conf or certificate)",
      });
      expect(await probe(PRIMARY, spec("Prefer"), 2_000)).toMatchObject({ ok: true });
    });

    it("authenticates with a client certificate (mutual TLS)", async () => {
      const creds = {
        user: "certuser",
        password: "",
        tlsMode: "VerifyCA" as const,
        caCert: pki.caCert,
      };
      const withCert = pgSpec(
        primary,
        {},
        { ...creds, clientCert: clientCert.cert, clientKey: clientCert.key },
      );
      expect(await probe(PRIMARY, withCert, 2_000)).toMatchObject({ ok: true });
      expect(await probe(PRIMARY, pgSpec(primary, {}, creds), 2_000)).toMatchObject({
        ok: false,
        reason: "authentication rejected (pg_hba.conf or certificate)",
      });
    });

    it("falls back to plain text under Prefer when the server has no TLS, and remembers it", async () => {
      const own = createPostgresProber();
      const log = async () =>
        (await readFile(plain.logFile, "utf8")).split("connection received").length;
      const before = await log();
      expect(await own(PLAIN, pgSpec(plain), 2_000)).toMatchObject({ ok: true });
      const afterFirst = await log();
      expect(afterFirst - before).toBe(2); // refused SSLRequest, then plain text
      expect(await own(PLAIN, pgSpec(plain), 2_000)).toMatchObject({ ok: true });
      expect((await log()) - afterFirst).toBe(1); // remembered: plain text straight away
    });

    it("fails SkipVerification (TLS required) against a server without TLS", async () => {
      const outcome = await probe(PLAIN, pgSpec(plain, {}, { tlsMode: "SkipVerification" }), 2_000);
      expect(outcome).toMatchObject({ ok: false, reason: "server does not support TLS" });
    });
  });

  describe("read-only guard and timeouts", () => {
    beforeAll(async () => {
      // Objects the probe role could write to, were the probe not read-only (database postgres).
      await tlsCluster.sql(primary, "CREATE TABLE probe_target (v int)");
      await tlsCluster.sql(primary, "CREATE SEQUENCE probe_seq");
      await tlsCluster.sql(primary, "GRANT ALL ON probe_target, probe_seq TO probe");
    });

    it.each([
      // plain writes
      [
        "INSERT INTO probe_target VALUES (1) RETURNING true",
        "write refused (read-only transaction)",
      ],
      ["CREATE TABLE probe_wrote (v int)", "write refused (read-only transaction)"],
      // a SELECT that writes
      ["SELECT nextval('probe_seq') > 0", "write refused (read-only transaction)"],
      // trying to leave read-only mode from inside the one statement
      [
        "SELECT set_config('transaction_read_only', 'off', false) IS NOT NULL",
        "SQLSTATE 25001: transaction read-write mode must be set before any query",
      ],
    ])("refuses a write: %s", async (query, reason) => {
      const outcome = await probe(PRIMARY, pgSpec(primary, { query, dbName: "postgres" }), 2_000);
      expect(outcome).toMatchObject({ ok: false, reason });
      expect(await tlsCluster.sql(primary, "SELECT * FROM probe_target")).toEqual([]);
      expect(
        await tlsCluster.sql(primary, "SELECT 1 FROM pg_class WHERE relname = 'probe_wrote'"),
      ).toEqual([]);
      expect(await tlsCluster.sql(primary, "SELECT is_called FROM probe_seq")).toEqual([
        { is_called: false },
      ]);
    });

    it("runs exactly one statement", async () => {
      const outcome = await probe(PRIMARY, pgSpec(primary, { query: "SELECT 1; SELECT 2" }), 2_000);
      expect(outcome.ok).toBe(false);
      expect(outcome.reason).toMatch(/^SQLSTATE 42601: cannot insert multiple commands/);
    });

    it("cuts a slow query with the statement timeout inside the probe timeout", async () => {
      const outcome = await probe(
        PRIMARY,
        pgSpec(primary, { query: "SELECT pg_sleep(10) IS NOT NULL" }),
        1_000,
      );
      expect(outcome).toMatchObject({ ok: false, reason: "statement timeout" });
      expect(outcome.durationMs).toBeLessThan(1_200);
      const sleeping = await tlsCluster.sql(
        primary,
        "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(10)%' AND pid <> pg_backend_pid()",
      );
      expect(sleeping).toEqual([]);
    });
  });

  describe("a stopped server", () => {
    it("is refused", async () => {
      await plainCluster.stopNode(plain);
      const outcome = await probe(PLAIN, pgSpec(plain), 2_000);
      expect(outcome).toMatchObject({ ok: false, reason: "connect ECONNREFUSED" });
    });
  });
});
