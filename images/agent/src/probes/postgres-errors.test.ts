// Mapping of node-postgres errors to short reasons, and password scrubbing.

import pg from "pg";
import { postgresErrorReason, scrub } from "./postgres-errors.js";

function serverError(code: string, message: string): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, "error");
  error.severity = "FATAL";
  error.code = code;
  return error;
}

describe("postgresErrorReason", () => {
  it.each<[unknown, string]>([
    [
      serverError("28P01", 'password authentication failed for user "probe"'),
      "authentication failed",
    ],
    [
      serverError("28000", "no pg_hba.conf entry"),
      "authentication rejected (pg_hba.conf or certificate)",
    ],
    [serverError("3D000", 'database "x" does not exist'), "database does not exist"],
    [
      serverError("25006", "cannot execute INSERT in a read-only transaction"),
      "write refused (read-only transaction)",
    ],
    [serverError("57014", "canceling statement due to statement timeout"), "statement timeout"],
    [
      serverError("57P03", "the database system is starting up"),
      "server is not accepting connections yet",
    ],
    // unknown SQLSTATEs keep code and first line
    [
      serverError("42P01", 'relation "t" does not exist\nLINE 1'),
      'SQLSTATE 42P01: relation "t" does not exist',
    ],
    // network and TLS
    [
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      "connect ECONNREFUSED",
    ],
    [
      Object.assign(new Error("self-signed"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }),
      "TLS DEPTH_ZERO_SELF_SIGNED_CERT",
    ],
    [
      Object.assign(new Error("altname"), { code: "ERR_TLS_CERT_ALTNAME_INVALID" }),
      "TLS ERR_TLS_CERT_ALTNAME_INVALID",
    ],
    // node-postgres messages without a code
    [new Error("The server does not support SSL connections"), "server does not support TLS"],
    [new Error("There was an error establishing an SSL connection"), "TLS negotiation failed"],
    [new Error("timeout expired"), "connect timeout"],
    [new Error("Connection terminated unexpectedly"), "connection closed by server"],
    [new Error("something else"), "PostgreSQL: something else"],
  ])("%p -> %s", (error, expected) => {
    expect(postgresErrorReason(error, "s3cret-pass")).toBe(expected);
  });

  it("never returns the password", () => {
    const error = serverError("XX000", "oops s3cret-pass leaked");
    expect(postgresErrorReason(error, "s3cret-pass")).toBe("SQLSTATE XX000: oops *** leaked");
  });
});

describe("scrub", () => {
  it.each([
    ["a hunter2 b hunter2", "hunter2", "a *** b ***"],
    ["nothing here", "hunter2", "nothing here"],
    // too short to search for safely
    ["a b c", "a", "a b c"],
  ])("%j without %j -> %j", (reason, password, expected) => {
    expect(scrub(reason, password)).toBe(expected);
  });
});
