// Polling helper for end-to-end tests: controllers act asynchronously, so a test states what must
// become true and waits for it, with a deadline and the last failure in the error.
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Calls `check` until it resolves without throwing, then returns its value. After `timeoutMs`,
 * throws an error carrying `what` and the last failure.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() >= deadline) {
        throw new Error(`${what}: not true after ${timeoutMs} ms`, { cause: err });
      }
    }
    await sleep(intervalMs);
  }
}

/** Resolves to the HTTP status of a failed Kubernetes API call (0 when there is none). */
export async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "number" ? code : 0;
  }
}
