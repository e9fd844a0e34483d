// Credentials from any Secret type: the seed's `kubectl create secret generic` (Opaque) Secret
// must work, and every problem must become a credential-free error, never a throw.
import { b64 } from "../../../../tests/agent/fixtures.js";
import { credentialsFromSecretData, isCredentialsError } from "./credentials.js";

const REF = "my-ns/cred-secret";

function data(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, b64(v)]));
}

describe("credentialsFromSecretData", () => {
  it("reads the seed's generic Secret (user and password only) with tlsMode Prefer", () => {
    expect(credentialsFromSecretData(REF, data({ user: "postgres", password: "example" }))).toEqual(
      {
        user: "postgres",
        password: "example",
        tlsMode: "Prefer",
      },
    );
  });

  it("reads every key, keeping the password exactly (no trimming)", () => {
    const result = credentialsFromSecretData(
      REF,
      data({
        user: "probe",
        password: " p@ss word\n",
        tlsMode: "VerifyAll",
        caCert: "CA",
        clientCert: "CERT",
        clientKey: "KEY",
      }),
    );
    expect(result).toEqual({
      user: "probe",
      password: " p@ss word\n",
      tlsMode: "VerifyAll",
      caCert: "CA",
      clientCert: "CERT",
      clientKey: "KEY",
    });
  });

  it.each([
    ["disabled", "Disabled"],
    ["SKIPVERIFICATION", "SkipVerification"],
    [" VerifyCA ", "VerifyCA"],
    ["", "Prefer"],
  ])("tlsMode %j is read as %s", (text, mode) => {
    const result = credentialsFromSecretData(
      REF,
      data({ user: "u", password: "p", tlsMode: text }),
    );
    expect(result).toMatchObject({ tlsMode: mode });
  });

  it("accepts certificate authentication without a password", () => {
    const result = credentialsFromSecretData(
      REF,
      data({ user: "u", clientCert: "C", clientKey: "K" }),
    );
    expect(result).toMatchObject({ user: "u", password: "", clientCert: "C", clientKey: "K" });
  });

  it.each([
    // Secret without data
    [undefined, 'Secret my-ns/cred-secret has no key "user"'],
    // empty user
    [data({ user: "", password: "p" }), 'Secret my-ns/cred-secret has no key "user"'],
    // no password and no client certificate
    [
      data({ user: "u" }),
      'Secret my-ns/cred-secret has no key "password" (nor clientCert and clientKey)',
    ],
    // a client certificate without its key is not enough
    [
      data({ user: "u", clientCert: "C" }),
      'Secret my-ns/cred-secret has no key "password" (nor clientCert and clientKey)',
    ],
    // unknown TLS mode
    [
      data({ user: "u", password: "p", tlsMode: "require" }),
      "Secret my-ns/cred-secret: tlsMode must be one of Disabled, Prefer, SkipVerification, VerifyCA, VerifyAll",
    ],
  ])("given %j fails closed with %j", (secretData, error) => {
    const result = credentialsFromSecretData(REF, secretData);
    expect(result).toEqual({ error });
    expect(isCredentialsError(result)).toBe(true);
  });

  it("never puts a value into an error", () => {
    const result = credentialsFromSecretData(
      REF,
      data({ user: "u", password: "hunter2", tlsMode: "hunter2" }),
    );
    expect(JSON.stringify(result)).not.toContain("hunter2");
  });
});
