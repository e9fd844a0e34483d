// tlsMode -> node-postgres ssl options, and the "server refused TLS" memory.

import { PlainTextMemory, tlsPlan } from "./postgres-tls.js";
import type { PostgresCredentials } from "./types.js";
import { createTestPki, type TestPki } from "../../../../tests/support/tls.js";

const base: PostgresCredentials = { user: "u", password: "p", tlsMode: "Prefer" };

describe("tlsPlan", () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki();
  });
  afterAll(() => pki.dispose());

  it("Disabled: no TLS", () => {
    expect(tlsPlan({ ...base, tlsMode: "Disabled", caCert: "junk" })).toEqual({
      ssl: false,
      fallbackToPlain: false,
    });
  });

  it("Prefer: unverified TLS with fallback", () => {
    expect(tlsPlan(base)).toEqual({ ssl: { rejectUnauthorized: false }, fallbackToPlain: true });
  });

  it("SkipVerification: unverified TLS, no fallback, caCert ignored", () => {
    expect(tlsPlan({ ...base, tlsMode: "SkipVerification", caCert: pki.caCert })).toEqual({
      ssl: { rejectUnauthorized: false },
      fallbackToPlain: false,
    });
  });

  it("VerifyCA: verified chain, any name", () => {
    const plan = tlsPlan({ ...base, tlsMode: "VerifyCA", caCert: pki.caCert });
    if (typeof plan === "string") throw new Error(plan);
    expect(plan.fallbackToPlain).toBe(false);
    expect(plan.ssl).toMatchObject({ rejectUnauthorized: true, ca: pki.caCert });
    expect(plan.ssl && plan.ssl.checkServerIdentity?.("x", {} as never)).toBeUndefined();
  });

  it("VerifyAll: verified chain and name (default identity check)", () => {
    const plan = tlsPlan({ ...base, tlsMode: "VerifyAll", caCert: pki.caCert });
    if (typeof plan === "string") throw new Error(plan);
    expect(plan.ssl).toEqual({ rejectUnauthorized: true, ca: pki.caCert });
  });

  it("presents a client certificate in every TLS mode", () => {
    const plan = tlsPlan({ ...base, clientCert: "CERT", clientKey: "KEY" });
    expect(plan).toMatchObject({ ssl: { cert: "CERT", key: "KEY" } });
  });

  it.each<[Partial<PostgresCredentials>, RegExp]>([
    [{ tlsMode: "VerifyCA", caCert: "junk" }, /^invalid caCert/],
    [
      {
        tlsMode: "VerifyAll",
        caCert: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
      },
      /^invalid caCert/,
    ],
    [{ clientCert: "CERT" }, /^clientCert and clientKey must be given together$/],
  ])("rejects unusable material %#", (creds, reason) => {
    expect(tlsPlan({ ...base, ...creds })).toMatch(reason);
  });
});

describe("PlainTextMemory", () => {
  it("remembers for the TTL, then forgets", () => {
    const memory = new PlainTextMemory(1_000);
    memory.remember("a:5432", 0);
    expect(memory.refusedTls("a:5432", 999)).toBe(true);
    expect(memory.refusedTls("a:5432", 1_000)).toBe(false);
    expect(memory.refusedTls("b:5432", 0)).toBe(false);
  });

  it("forgets on request", () => {
    const memory = new PlainTextMemory(1_000);
    memory.remember("a", 0);
    memory.forget("a");
    expect(memory.refusedTls("a", 1)).toBe(false);
  });

  it("stays bounded", () => {
    const memory = new PlainTextMemory(1_000, 3);
    for (const key of ["a", "b", "c"]) memory.remember(key, 0);
    memory.remember("d", 2_000); // all three expired: pruned
    expect(memory.refusedTls("d", 2_001)).toBe(true);
    for (const key of ["e", "f"]) memory.remember(key, 2_000);
    memory.remember("g", 2_000); // none expired: cleared
    expect(memory.refusedTls("d", 2_001)).toBe(false);
    expect(memory.refusedTls("g", 2_001)).toBe(true);
  });
});
