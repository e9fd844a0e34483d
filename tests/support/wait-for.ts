// Polls a synchronous condition until it holds, for unit and integration tests (the e2e tests
// use tests/e2e/support/eventually.ts, which retries assertions against the cluster).

/** Resolves once `predicate()` is true; throws after `timeoutMs`. Polls every 10 ms. */
export async function waitFor(predicate: () => boolean, timeoutMs = 2_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}
