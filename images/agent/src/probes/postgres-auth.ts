// Keeps a PostgreSQL probe's password from servers that ask for it in clear text. Whoever may
// create a ServiceWithHealthchecks chooses, by selector, the pods the agent presents a Secret's
// credentials to; a rogue server in such a pod can answer the startup message with
// AuthenticationCleartextPassword, and node-postgres would send the password as it is. SCRAM
// never reveals the password and MD5 only a salted hash, so both keep working in every tlsMode;
// a cleartext request is answered only over TLS whose server certificate was verified against
// a CA the Secret names (VerifyCA with caCert) or against the pod's IP address (VerifyAll): the
// server is then who that CA says. VerifyCA against the system CAs does not count: any holder
// of any publicly issued certificate would pass it.
//
// Two independent locks, each enough on its own:
//  1. A listener on the connection's `authenticationCleartextPassword` event, attached before
//     `client.connect()` (which attaches node-postgres's own listeners), so it runs first: it
//     marks the attempt refused and destroys the socket, and node-postgres's answer, written
//     next, finds a stream that is no longer writable and is dropped (Connection._send).
//  2. node-postgres gets the password through a function, which it calls when a server asks
//     for a password, on a later microtask than the event's listeners: the function throws
//     once a request was refused, so the client never even holds the password to write.
// Lock 2 alone would not do: once the function has answered (say, an MD5 request), pg keeps
// the string and answers a later cleartext request with it synchronously. Lock 1 alone would
// rest on listener order, which pg does not promise.

import { TLSSocket } from "node:tls";
import type pg from "pg";
import type { PostgresCredentials } from "./types.js";

/** The reason a probe fails with when it refused to send a password in clear text. */
export const CLEARTEXT_REFUSED =
  "server requested a cleartext password; refused (use tlsMode VerifyCA with caCert or " +
  "VerifyAll, or scram-sha-256 on the server)";

/**
 * Whether a password may be sent in clear text over `stream`: only over TLS whose certificate
 * chain verified, in VerifyAll (chain and pod IP) or in VerifyCA with the Secret's own caCert.
 */
export function cleartextAllowed(
  credentials: Pick<PostgresCredentials, "tlsMode" | "caCert">,
  stream: unknown,
): boolean {
  const verifiedMode =
    credentials.tlsMode === "VerifyAll" ||
    (credentials.tlsMode === "VerifyCA" && credentials.caCert !== undefined);
  return verifiedMode && stream instanceof TLSSocket && stream.authorized;
}

/** Hands the password to node-postgres only for requests that may have it. */
export class PasswordGuard {
  private refusedRequest = false;

  constructor(private readonly credentials: PostgresCredentials) {}

  /** Whether the server asked for a cleartext password and was refused. */
  get refused(): boolean {
    return this.refusedRequest;
  }

  /** node-postgres's `password` option: the password, unless a cleartext request was refused. */
  readonly password = (): string => {
    if (this.refusedRequest) throw new Error(CLEARTEXT_REFUSED);
    return this.credentials.password;
  };

  /**
   * Watches `connection` for cleartext password requests. Call it before `client.connect()`,
   * so this listener runs before the one node-postgres attaches there.
   */
  attach(connection: pg.Connection): void {
    connection.on("authenticationCleartextPassword", () => {
      if (cleartextAllowed(this.credentials, connection.stream)) return;
      this.refusedRequest = true;
      connection.stream.destroy();
    });
  }
}
