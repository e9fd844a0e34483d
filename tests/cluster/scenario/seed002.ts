// Seed 002's experiment on real nodes: a client sends a steady stream of requests through a
// Service's cluster IP to three HTTP backends while one of them starts failing — its application
// answers 503, or its listener stops accepting — and counts what the client saw. Run once with a
// plain Service and the kubelet's readinessProbe, once with a ServiceWithHealthchecks with the
// same period and threshold, side by side. Durations are measured, never asserted.
import { setTimeout as sleep } from "node:timers/promises";
import type { BackendClient } from "../backends/client.js";
import type { LoadReport } from "../backends/load.js";
import { recordMeasurement } from "./report.js";

/** How the backend fails: its app answers 503 on every path, or its port refuses connections. */
export type FailureMode = "503" | "refuse";

/** What the client saw. */
export interface FailoverOutcome {
  readonly sent: number;
  readonly failed: number;
  /** Requests that reached the failing backend (answered by it, or refused) after it failed. */
  readonly badAfterFailure: number;
  /**
   * From the failure to the last request that went to the failing backend (ms): how long clients
   * kept being sent there. 0 when none was.
   */
  readonly cutoverMs: number;
}

/** Outcome of a load that saw `backend` start failing at `failedAtMs` (load time). */
export function failoverOutcome(
  report: LoadReport,
  backend: string,
  failedAtMs: number,
): FailoverOutcome {
  const after = report.samples.filter(s => s.at >= failedAtMs);
  // A refused request names no backend; only the failing one refuses.
  const bad = after.filter(s => s.backend === backend || s.error !== undefined);
  const last = bad.reduce((max, s) => Math.max(max, s.at), failedAtMs);
  return {
    sent: report.sent,
    failed: report.failed,
    badAfterFailure: bad.length,
    cutoverMs: bad.length > 0 ? last - failedAtMs : 0,
  };
}

/** One run: load from `client` to `url`; `backend` fails `failAfterMs` into it. */
export async function runFailover(opts: {
  readonly client: BackendClient;
  readonly url: string;
  readonly failing: BackendClient;
  readonly failingPod: string;
  readonly mode: FailureMode;
  readonly durationMs: number;
  readonly failAfterMs: number;
  readonly ratePerSecond: number;
}): Promise<FailoverOutcome> {
  const load = opts.client.load({
    url: opts.url,
    durationMs: opts.durationMs,
    ratePerSecond: opts.ratePerSecond,
    timeoutMs: 2000,
  });
  await sleep(opts.failAfterMs);
  const failedAt = Date.now();
  if (opts.mode === "503") await opts.failing.setHealth("web", 503, true);
  else await opts.failing.stopServer("web");
  const report = await load;
  return failoverOutcome(report, opts.failingPod, failedAt - report.startedAt);
}

/**
 * Waits until kube-proxy on the client's node has programmed the Service (a second of requests
 * without a failure), so a measurement starts from a working Service.
 */
export async function servedThrough(
  client: BackendClient,
  url: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const probe = await client.load({ url, durationMs: 1000, ratePerSecond: 20, timeoutMs: 2000 });
    if (probe.failed === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `requests through ${url} still fail after ${timeoutMs} ms (${probe.failed}/${probe.sent})`,
      );
    }
  }
}

/** Undoes a failure of runFailover. */
export async function heal(backend: BackendClient, mode: FailureMode): Promise<void> {
  if (mode === "503") await backend.setHealth("web", 200);
  else await backend.startServer("web");
}

export /** Records a run's failed requests and cutover (build/e2e-report.json). */
async function recordFailover(
  variant: string,
  mode: FailureMode,
  outcome: FailoverOutcome,
): Promise<void> {
  const what = `${variant === "plain" ? "plain Service + readinessProbe" : "ServiceWithHealthchecks"}, backend ${mode === "503" ? "answering 503" : "refusing connections"}, 50 req/s`;
  await recordMeasurement({
    name: `seed002.${variant}.${mode}.failedRequests`,
    value: outcome.failed,
    unit: "count",
    description: `${what}: failed requests out of ${outcome.sent}`,
  });
  await recordMeasurement({
    name: `seed002.${variant}.${mode}.cutoverMs`,
    value: outcome.cutoverMs,
    unit: "ms",
    description: `${what}: from the failure to the last request sent to the failing backend`,
  });
}

/**
 * The seed's VM on real pods: clients of `web` and of `smtp` at once while the web server of
 * `failingPod` starts answering 503 `failAfterMs` into the loads. Returns what each saw.
 */
export async function runVmWebFailure(opts: {
  readonly client: BackendClient;
  readonly webUrl: string;
  readonly smtpUrl: string;
  readonly failing: BackendClient;
  readonly failingPod: string;
  readonly durationMs: number;
  readonly failAfterMs: number;
  readonly ratePerSecond: number;
}): Promise<{ readonly web: FailoverOutcome; readonly smtp: LoadReport }> {
  const load = { durationMs: opts.durationMs, ratePerSecond: opts.ratePerSecond, timeoutMs: 2000 };
  const web = opts.client.load({ url: opts.webUrl, ...load });
  const smtp = opts.client.load({ url: opts.smtpUrl, ...load });
  await sleep(opts.failAfterMs);
  const failedAt = Date.now();
  await opts.failing.setHealth("web", 503, true);
  const [webReport, smtpReport] = await Promise.all([web, smtp]);
  return {
    web: failoverOutcome(webReport, opts.failingPod, failedAt - webReport.startedAt),
    smtp: smtpReport,
  };
}

/** Records what web's clients saw when one VM's web server failed (build/e2e-report.json). */
export async function recordVmOutcome(web: FailoverOutcome): Promise<void> {
  const what =
    "seed's VM on real pods, web failing on one of two VMs (seed's probe timing), 10 req/s";
  await recordMeasurement({
    name: "realVm.webFailedRequests",
    value: web.failed,
    unit: "count",
    description: `${what}: failed web requests out of ${web.sent}`,
  });
  await recordMeasurement({
    name: "realVm.webCutoverMs",
    value: web.cutoverMs,
    unit: "ms",
    description: `${what}: from the failure to the last web request sent to the failing VM`,
  });
}
