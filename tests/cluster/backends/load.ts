// A client for the traffic tests, run inside a client pod (the backend daemon's POST /load): sends
// requests to `url` at a steady rate for a while, each on a new connection (as `ab` without
// keep-alive, so kube-proxy picks a backend per request), and reports every answer — status, or
// the error — and which backend answered. `http://` URLs are GETs (the test HTTP servers name
// their pod in the body); `tcp://host:port` connects and reads the server's greeting, as an SMTP
// client does (the SMTP-like servers greet `220 <pod> …`), then closes.
import { request } from "node:http";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** What POST /load takes. */
export interface LoadRequest {
  readonly url: string;
  readonly durationMs: number;
  readonly ratePerSecond: number;
  /** Per request; a request without an answer by then counts as failed (`timeout`). */
  readonly timeoutMs: number;
}

/** One request's outcome; `at` is ms since the load started. */
export interface LoadSample {
  readonly at: number;
  /** The pod that answered (from the body), when one did. */
  readonly backend?: string;
  readonly status?: number;
  readonly error?: string;
}

/** What POST /load answers. */
export interface LoadReport {
  /** Epoch ms the load started (the samples' zero). */
  readonly startedAt: number;
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly samples: readonly LoadSample[];
}

/** Validates a POST /load body. */
export function loadRequest(body: Record<string, unknown>): LoadRequest {
  const { url, durationMs, ratePerSecond, timeoutMs } = body;
  if (typeof url !== "string" || !/^(http|tcp):\/\//.test(url)) {
    throw new Error("load: url must be http://… or tcp://host:port");
  }
  const positive = (v: unknown): v is number => typeof v === "number" && v > 0;
  if (!positive(durationMs) || !positive(ratePerSecond)) {
    throw new Error("load: durationMs and ratePerSecond must be positive numbers");
  }
  return { url, durationMs, ratePerSecond, timeoutMs: positive(timeoutMs) ? timeoutMs : 2000 };
}

/** The pod name in a test server's body (`<server> <pod>: ok`). */
export function backendOf(body: string): string | undefined {
  return /^\S+ (\S+): /.exec(body)?.[1];
}

/** The reply code and the pod of an SMTP-like greeting (`220 <pod> <server> ESMTP ready`). */
export function greetingOf(line: string): { code: number; backend?: string } | undefined {
  const match = /^(\d{3})[ -](\S+)?/.exec(line);
  if (!match) return undefined;
  return { code: Number(match[1]), ...(match[2] ? { backend: match[2] } : {}) };
}

function onceTcp(url: string, timeoutMs: number): Promise<Omit<LoadSample, "at">> {
  const { hostname, port } = new URL(url);
  return new Promise(resolve => {
    let settled = false;
    const finish = (outcome: Omit<LoadSample, "at">): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(outcome);
    };
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setTimeout(timeoutMs, () => finish({ error: "timeout" }));
    socket.on("error", err =>
      finish({ error: (err as NodeJS.ErrnoException).code ?? err.message }),
    );
    socket.on("close", () => finish({ error: "closed before a greeting" }));
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      if (!text.includes("\n")) return;
      const greeting = greetingOf(text);
      if (!greeting) return finish({ error: `not a greeting: ${text.slice(0, 40)}` });
      finish({ status: greeting.code, ...(greeting.backend ? { backend: greeting.backend } : {}) });
    });
  });
}

function once(url: string, timeoutMs: number): Promise<Omit<LoadSample, "at">> {
  return new Promise(resolve => {
    const req = request(url, { agent: false, timeout: timeoutMs }, res => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const backend = backendOf(Buffer.concat(chunks).toString("utf8"));
        resolve({ status: res.statusCode ?? 0, ...(backend ? { backend } : {}) });
      });
      res.on("error", err => resolve({ error: err.message }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", err => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end();
  });
}

/** Runs the load and reports every request. */
export async function runLoad(load: LoadRequest): Promise<LoadReport> {
  const startedAt = Date.now();
  const interval = 1000 / load.ratePerSecond;
  const pending: Promise<LoadSample>[] = [];
  for (let i = 0; i * interval < load.durationMs; i++) {
    const due = startedAt + i * interval;
    if (due > Date.now()) await sleep(due - Date.now());
    const at = Date.now() - startedAt;
    const attempt = load.url.startsWith("tcp://") ? onceTcp : once;
    pending.push(attempt(load.url, load.timeoutMs).then(outcome => ({ at, ...outcome })));
  }
  const samples = await Promise.all(pending);
  const ok = samples.filter(s => s.status !== undefined && s.status < 400).length;
  return { startedAt, sent: samples.length, ok, failed: samples.length - ok, samples };
}

/** Samples of a load by the pod that answered (`error` when none did). */
export function answersByBackend(report: LoadReport): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of report.samples) {
    const key = s.backend ?? `error ${s.error ?? s.status ?? "?"}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
