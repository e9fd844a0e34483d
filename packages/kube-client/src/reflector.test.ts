// The informer's recovery paths against a real HTTP server on loopback that scripts the API
// server's answers: a watch resumed after a clean end, or after the connection broke, goes on
// from the last resourceVersion without listing; a 410 Gone (an ERROR event, as a watch cache
// sends it, or the HTTP status on the watch request) makes it relist at once, without backoff,
// emitting only the real differences, which is what a restarted kube-apiserver (new watch cache)
// or an etcd compaction answers to an old resourceVersion; any other error status relists after
// a backoff.
import { jest } from "@jest/globals";
import { KubeConfig } from "@kubernetes/client-node";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describeError } from "./errors.js";
import { Reflector } from "./reflector.js";
import type { ReflectorEvent } from "./reflector-types.js";
import type { KubeLogger } from "./logger.js";
import { KubeRest } from "./rest.js";

const quiet: KubeLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

interface Pod {
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly resourceVersion: string;
  };
}

const pod = (name: string, rv: string): Pod => ({
  metadata: { name, namespace: "ns", resourceVersion: rv },
});

/** One scripted answer to a watch request. */
type WatchAnswer = (res: ServerResponse) => void;

/** A loopback HTTP server answering lists and watches of /api/v1/pods from scripts. */
class ScriptedApi {
  readonly requests: string[] = [];
  readonly #lists: Array<{ items: Pod[]; rv: string }>;
  readonly #watches: WatchAnswer[];
  readonly #server: Server;
  readonly #open: ServerResponse[] = [];

  constructor(lists: Array<{ items: Pod[]; rv: string }>, watches: WatchAnswer[]) {
    this.#lists = lists;
    this.#watches = watches;
    this.#server = createServer((req, res) => this.#answer(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>(resolve => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.#open) res.destroy();
    this.#server.closeAllConnections();
    await new Promise(resolve => this.#server.close(resolve));
  }

  #answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.searchParams.get("watch") === "1") {
      this.requests.push(`watch ${url.searchParams.get("resourceVersion") ?? ""}`);
      this.#open.push(res);
      // Past the script, hold the stream open until the test stops the server.
      (this.#watches.shift() ?? (r => r.writeHead(200).flushHeaders()))(res);
      return;
    }
    this.requests.push("list");
    const list = this.#lists.shift() ?? { items: [], rv: "0" };
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(
      JSON.stringify({
        kind: "PodList",
        metadata: { resourceVersion: list.rv },
        items: list.items,
      }),
    );
  }
}

const event = (type: string, object: unknown): string => `${JSON.stringify({ type, object })}\n`;

/** Sends a MODIFIED event, then ends the stream cleanly after more than a second. */
const modifiedThenEnd =
  (p: Pod): WatchAnswer =>
  res => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.write(event("MODIFIED", p));
    setTimeout(() => res.end(), 1_200);
  };

const goneEvent: WatchAnswer = res => {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(
    event("ERROR", {
      kind: "Status",
      status: "Failure",
      code: 410,
      reason: "Expired",
      message: "too old resource version: 11 (15)",
    }),
  );
};

function restFor(server: string): KubeRest {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // Plain HTTP on loopback: client-node allows it only with skipTLSVerify.
    clusters: [{ name: "c", server, skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return new KubeRest(kc);
}

/** A quiet pods informer against `server`, counting restarts by reason, backing off `backoffMs`. */
function pods(server: string, restarts: string[], backoffMs: number): Reflector<Pod> {
  return new Reflector<Pod>({
    name: "pods",
    rest: restFor(server),
    resource: "pods",
    path: "/api/v1/pods",
    transform: raw => raw as Pod,
    relistIntervalMs: 10 * 60_000,
    backoff: { initialMs: backoffMs, maxMs: backoffMs },
    log: quiet,
    observer: { onRestart: (_name, reason) => restarts.push(reason) },
  });
}

async function until(what: () => string, check: () => boolean, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what()}: not true after ${timeoutMs} ms`);
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

jest.setTimeout(20_000);

describe("Reflector against an API server that forgets resourceVersions", () => {
  let api: ScriptedApi | undefined;
  let reflector: Reflector<Pod> | undefined;

  afterEach(async () => {
    await reflector?.stop();
    await api?.stop();
  });

  async function run(goneAnswer: WatchAnswer): Promise<{
    events: string[];
    restarts: string[];
    relistAfterMs: number;
  }> {
    let goneAt = 0;
    const scripted = new ScriptedApi(
      [
        { items: [pod("a", "1"), pod("b", "2")], rv: "10" },
        { items: [pod("a", "11"), pod("c", "12")], rv: "20" },
      ],
      [
        modifiedThenEnd(pod("a", "11")),
        res => {
          goneAt = Date.now();
          goneAnswer(res);
        },
      ],
    );
    api = scripted;
    const server = await scripted.start();
    const events: string[] = [];
    const restarts: string[] = [];
    // A backoff this long would show: the 410 must be answered by a relist at once.
    const r = pods(server, restarts, 10_000);
    reflector = r;
    r.on((e: ReflectorEvent<Pod>) =>
      events.push(`${e.type} ${e.key}@${e.object.metadata.resourceVersion}`),
    );
    r.start();
    await until(
      () =>
        `a relist after the 410 and a watch from its resourceVersion (requests: ${scripted.requests.join(", ")}; events: ${events.join(", ")}; restarts: ${restarts.join(", ")}; last error: ${describeError(r.lastError)})`,
      () => scripted.requests.includes("watch 20"),
    );
    const relistAfterMs = Date.now() - goneAt;
    expect(scripted.requests).toEqual(["list", "watch 10", "watch 11", "list", "watch 20"]);
    return { events, restarts, relistAfterMs };
  }

  it.each([
    ["an ERROR event", goneEvent],
    [
      "HTTP 410 on the watch request",
      (res: ServerResponse) => {
        res.writeHead(410, { "Content-Type": "application/json" });
        res.end(
          JSON.stringify({
            kind: "Status",
            code: 410,
            reason: "Expired",
            message: "too old",
          }),
        );
      },
    ],
  ])("relists at once after %s and emits only the real differences", async (_what, answer) => {
    const { events, restarts, relistAfterMs } = await run(answer);
    expect(events).toEqual([
      "upsert ns/a@1",
      "upsert ns/b@2",
      "upsert ns/a@11",
      // The relist: a is unchanged (same resourceVersion), c is new, b is gone.
      "upsert ns/c@12",
      "delete ns/b@2",
    ]);
    expect(restarts).toEqual(["gone"]);
    expect(relistAfterMs).toBeLessThan(5_000);
    expect(reflector?.synced).toBe(true);
    expect(reflector?.lastError).toBeUndefined();
  });
});

describe("Reflector when the watch fails", () => {
  let api: ScriptedApi | undefined;
  let reflector: Reflector<Pod> | undefined;

  afterEach(async () => {
    await reflector?.stop();
    await api?.stop();
  });

  async function requestsAfterFailure(failure: WatchAnswer, expected: string[]): Promise<string[]> {
    const scripted = new ScriptedApi(
      [
        { items: [pod("a", "1")], rv: "10" },
        { items: [pod("a", "11")], rv: "20" },
      ],
      [
        res => {
          res.writeHead(200, { "Content-Type": "application/json" });
          res.write(event("MODIFIED", pod("a", "11")));
          // Let the event arrive, then fail.
          setTimeout(() => failure(res), 200);
        },
      ],
    );
    api = scripted;
    const restarts: string[] = [];
    reflector = pods(await scripted.start(), restarts, 50);
    reflector.start();
    await until(
      () => `requests ${scripted.requests.join(", ")}`,
      () => scripted.requests.length >= expected.length,
    );
    // Nothing more than expected follows (the last watch is held open).
    await new Promise(resolve => setTimeout(resolve, 300));
    expect(scripted.requests).toEqual(expected);
    expect(reflector.get("ns/a")?.metadata.resourceVersion).toBe("11");
    return restarts;
  }

  it("resumes from the last resourceVersion when the connection breaks, without listing", async () => {
    const restarts = await requestsAfterFailure(
      res => res.destroy(),
      ["list", "watch 10", "watch 11"],
    );
    expect(restarts).toEqual(["network"]);
    expect(reflector?.lastError).toBeUndefined();
  });

  it("resumes from the last resourceVersion after a network error while the server is away", async () => {
    // The server goes away for a moment (its socket reset), then the resumed watch is accepted.
    const restarts = await requestsAfterFailure(
      res => {
        res.socket?.resetAndDestroy();
      },
      ["list", "watch 10", "watch 11"],
    );
    expect(restarts).toEqual(["network"]);
  });

  it("relists after an error status on the watch: the answer may be about the resourceVersion", async () => {
    const restarts = await requestsAfterFailure(
      res =>
        res.end(
          event("ERROR", {
            kind: "Status",
            status: "Failure",
            code: 500,
            reason: "InternalError",
            message: "etcd is unhappy",
          }),
        ),
      ["list", "watch 10", "list", "watch 20"],
    );
    expect(restarts).toEqual(["500"]);
  });
});
