// Waiting for the box: polls an HTTPS endpoint until it answers 200 while checking that the
// processes it depends on are still alive, so a crashed apiserver fails fast with its log instead
// of a timeout.
import { setTimeout as sleep } from "node:timers/promises";
import { httpsGet, type TlsClient } from "./https-get.js";

/** A process the wait depends on. */
export interface Watched {
  /** Role name for messages. */
  readonly name: string;
  /** True while the process runs. */
  alive(): boolean;
}

/** Thrown when a watched process exits during the wait. */
export class ProcessExitedError extends Error {
  /** Role name of the process that exited. */
  readonly component: string;
  constructor(component: string, message: string) {
    super(message);
    this.name = "ProcessExitedError";
    this.component = component;
  }
}

/**
 * Polls `url` until it returns 200. Throws ProcessExitedError as soon as a watched process is
 * gone, or an Error with the last answer after `timeoutMs`.
 */
export async function waitForOk(
  url: string,
  tls: TlsClient,
  watched: readonly Watched[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  for (;;) {
    const dead = watched.find(w => !w.alive());
    if (dead)
      throw new ProcessExitedError(dead.name, `${dead.name} exited while waiting for ${url}`);
    try {
      const res = await httpsGet(url, tls, 2000);
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${res.body.slice(0, 2000)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      throw new Error(`${url} not ready after ${timeoutMs} ms; last answer: ${last}`);
    }
    await sleep(100);
  }
}
