// Loopback port selection. The box never assumes 6443/2379 are free: a CI run and a developer's
// demo may share the machine, so ports are chosen by asking the kernel and then recorded.
import { createServer, type Server } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** The address every component of the box binds to. */
export const LOOPBACK = "127.0.0.1";

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: LOOPBACK, port, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        reject(new Error("listening socket has no TCP address"));
        return;
      }
      resolve(address.port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise(resolve => server.close(() => resolve()));
}

/**
 * Returns `count` distinct ports that were free on 127.0.0.1 a moment ago. All sockets are held
 * open together so the kernel cannot hand out the same port twice.
 */
export async function pickFreePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(servers.map(s => listen(s, 0)));
  } finally {
    await Promise.all(servers.map(close));
  }
}

/** True when nothing listens on 127.0.0.1:`port` (a listen attempt succeeds). */
export async function isPortFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    await listen(server, port);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") return false;
    throw new Error(`probing port ${LOOPBACK}:${port} failed`, { cause: err });
  } finally {
    if (server.listening) await close(server);
  }
}

/** Waits until every port in `ports` is free; throws naming the busy ones after `timeoutMs`. */
export async function waitPortsFree(ports: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy: number[] = [];
    for (const port of ports) if (!(await isPortFree(port))) busy.push(port);
    if (busy.length === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(`ports still in use after the process stopped: ${busy.join(", ")}`);
    }
    await sleep(100);
  }
}
