// Loopback networking helpers for tests that bind real sockets: a free port on a given address
// and whether IPv6 loopback is usable here (some CI sandboxes disable it).

import { createServer } from "node:net";

/** A TCP port that was free on `host` a moment ago (bind to 0, read, release). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, resolve);
  });
  const address = server.address();
  await new Promise<void>(resolve => server.close(() => resolve()));
  if (address === null || typeof address === "string") {
    throw new Error(`could not read the port bound on ${host}`);
  }
  return address.port;
}

let ipv6: Promise<boolean> | undefined;

/** Whether a socket can listen on ::1 (cached). */
export function ipv6LoopbackAvailable(): Promise<boolean> {
  ipv6 ??= freePort("::1").then(
    () => true,
    () => false,
  );
  return ipv6;
}

/** A port nothing listens on: freshly released, so connecting is refused. */
export async function closedPort(host = "127.0.0.1"): Promise<number> {
  return freePort(host);
}
