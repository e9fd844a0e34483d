// A long-lived client connection for the drain scenario, run inside a client pod (the backend
// daemon's POST /hold): one HTTP/1.1 keep-alive connection to `url`, a GET on it every
// `intervalMs` for `durationMs`, each answer recorded with the local port of the connection that
// carried it. A connection that survives a drain keeps one local port from the first request to
// the last; a cut one shows as an error, or as a second port when a request had to reconnect.
import { Agent, request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { backendOf } from "./load.js";

/** What POST /hold takes. */
export interface HoldRequest {
  readonly url: string;
  readonly durationMs: number;
  readonly intervalMs: number;
  /** Per request (default 2000). */
  readonly timeoutMs: number;
}

/** One request over the held connection; `at` is ms since the hold started. */
export interface HoldSample {
  readonly at: number;
  readonly status?: number;
  readonly backend?: string;
  readonly error?: string;
  /** Local port of the connection that carried the request. */
  readonly localPort?: number;
}

/** What POST /hold answers. */
export interface HoldReport {
  /** Epoch ms the hold started (the samples' zero). */
  readonly startedAt: number;
  readonly samples: readonly HoldSample[];
  /** Distinct connections the requests used (1: the connection was held throughout). */
  readonly connections: number;
}

/** Validates a POST /hold body. */
export function holdRequest(body: Record<string, unknown>): HoldRequest {
  const { url, durationMs, intervalMs, timeoutMs } = body;
  if (typeof url !== "string" || !url.startsWith("http://")) {
    throw new Error("hold: url must be http://…");
  }
  const positive = (v: unknown): v is number => typeof v === "number" && v > 0;
  if (!positive(durationMs) || !positive(intervalMs)) {
    throw new Error("hold: durationMs and intervalMs must be positive numbers");
  }
  return { url, durationMs, intervalMs, timeoutMs: positive(timeoutMs) ? timeoutMs : 2000 };
}

function once(url: string, agent: Agent, timeoutMs: number): Promise<Omit<HoldSample, "at">> {
  return new Promise(resolve => {
    const req = request(url, { agent, timeout: timeoutMs }, res => {
      const localPort = res.socket.localPort;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const backend = backendOf(Buffer.concat(chunks).toString("utf8"));
        resolve({
          status: res.statusCode ?? 0,
          ...(backend ? { backend } : {}),
          ...(localPort === undefined ? {} : { localPort }),
        });
      });
      res.on("error", err => resolve({ error: err.message }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", err => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end();
  });
}

/** Holds one connection and reports every request on it (see file header). */
export async function runHold(hold: HoldRequest): Promise<HoldReport> {
  // One socket, kept open between requests (the test server keeps idle ones for 5 s).
  const agent = new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
  const startedAt = Date.now();
  const samples: HoldSample[] = [];
  try {
    for (let i = 0; i * hold.intervalMs < hold.durationMs; i++) {
      const due = startedAt + i * hold.intervalMs;
      if (due > Date.now()) await sleep(due - Date.now());
      const at = Date.now() - startedAt;
      samples.push({ at, ...(await once(hold.url, agent, hold.timeoutMs)) });
    }
  } finally {
    agent.destroy();
  }
  const ports = new Set(samples.flatMap(s => (s.localPort === undefined ? [] : [s.localPort])));
  return { startedAt, samples, connections: ports.size };
}
