// PEM sanity checks.

import { assertPemCertificates } from "./pem.js";
import { createTestPki, type TestPki } from "../../../../tests/support/tls.js";

describe("assertPemCertificates", () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki();
  });
  afterAll(() => pki.dispose());

  it("accepts a bundle of valid certificates", () => {
    expect(() => assertPemCertificates(`${pki.caCert}\n${pki.caCert}`)).not.toThrow();
  });

  it.each([
    ["no certificate", "hello"],
    ["a broken certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"],
  ])("rejects %s", (_, pem) => {
    expect(() => assertPemCertificates(pem)).toThrow();
  });
});
