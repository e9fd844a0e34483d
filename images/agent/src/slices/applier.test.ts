// SliceApplier against a fake API client that records every request and answers from a script:
// the order of writes (deletes, updates, creates), the store kept in step, and the paths that
// were only exercised against a real API server before: a 409 re-reads the slice and reports a
// conflict; NotFound on update is a conflict too (the slice was deleted under us) and drops it
// from the store; NotFound on delete is success; a re-read slice that is not ours is left alone;
// another error stops the plan and is returned.

import { LABEL_MANAGED_BY, LABEL_NODE_NAME, MANAGED_BY_VALUE } from "../../../../api/contract.js";
import { KubeApiError, type RawEndpointSlice, type KubeRest } from "swh-kube-client";
import { createLogger } from "../log.js";
import { SliceApplier, retriable } from "./applier.js";
import type { SlicePlan } from "./plan.js";
import { SliceStore } from "./store.js";

const quiet = createLogger({ level: "error", sink: () => undefined });
const NODE = "node-a";

function slice(name: string, opts: { ours?: boolean; rv?: string } = {}): RawEndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      namespace: "ns",
      uid: `uid-${name}`,
      resourceVersion: opts.rv ?? "1",
      labels:
        opts.ours === false
          ? {}
          : { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_NODE_NAME]: NODE },
      ownerReferences: [
        {
          apiVersion: "v1",
          kind: "ServiceWithHealthchecks",
          name: "db",
          uid: "swh",
          controller: true,
        },
      ],
    },
    addressType: "IPv4",
    endpoints: [],
  };
}

const apiError = (status: number, verb: string): KubeApiError =>
  new KubeApiError(`HTTP ${status}`, { status, verb, resource: "endpointslices" });

interface Request {
  readonly verb: string;
  readonly path: string;
}

/** A fake client: `answers` maps `verb path` to a reply (an object, or an error to throw). */
function fakeRest(answers: Record<string, unknown>): { rest: KubeRest; requests: Request[] } {
  const requests: Request[] = [];
  const rest = {
    request: (req: { verb: string; path: string; body?: unknown }) => {
      requests.push({ verb: req.verb, path: req.path });
      const answer = answers[`${req.verb} ${req.path}`];
      if (answer instanceof Error) return Promise.reject(answer);
      return Promise.resolve(answer ?? req.body);
    },
  } as unknown as KubeRest;
  return { rest, requests };
}

const PATH = "/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices";

function applier(rest: KubeRest, store: SliceStore): SliceApplier {
  return new SliceApplier({ rest, store, nodeLabel: NODE, log: quiet });
}

const plan = (p: Partial<SlicePlan>): SlicePlan => ({ create: [], update: [], delete: [], ...p });

describe("SliceApplier", () => {
  it("deletes, then updates, then creates, and records each write in the store", async () => {
    const store = new SliceStore(() => 0);
    const { rest, requests } = fakeRest({});
    const outcome = await applier(rest, store).apply(
      plan({ create: [slice("c")], update: [slice("u", { rv: "2" })], delete: [slice("d")] }),
    );
    expect(outcome).toEqual({ writes: 3, conflict: false });
    expect(requests).toEqual([
      { verb: "delete", path: `${PATH}/d` },
      { verb: "update", path: `${PATH}/u` },
      { verb: "create", path: PATH },
    ]);
    expect(
      store
        .ownedBy("swh")
        .map(s => s.metadata?.name)
        .sort(),
    ).toEqual(["c", "u"]);
  });

  it("on 409 re-reads the slice into the store and reports a conflict, writing nothing more", async () => {
    const store = new SliceStore(() => 0);
    const fresh = slice("u", { rv: "7" });
    const { rest, requests } = fakeRest({
      [`update ${PATH}/u`]: apiError(409, "update"),
      [`get ${PATH}/u`]: fresh,
    });
    const outcome = await applier(rest, store).apply(
      plan({ update: [slice("u")], create: [slice("c")] }),
    );
    expect(outcome).toEqual({ writes: 0, conflict: true });
    expect(requests.map(r => r.verb)).toEqual(["update", "get"]);
    expect(store.ownedBy("swh")[0]?.metadata?.resourceVersion).toBe("7");
  });

  it("treats NotFound on update as a conflict and drops the slice from the store", async () => {
    const store = new SliceStore(() => 0);
    store.recordWrite(slice("u"));
    const { rest } = fakeRest({
      [`update ${PATH}/u`]: apiError(404, "update"),
      [`get ${PATH}/u`]: apiError(404, "get"),
    });
    const outcome = await applier(rest, store).apply(plan({ update: [slice("u")] }));
    expect(outcome).toEqual({ writes: 0, conflict: true });
    expect(store.ownedBy("swh")).toEqual([]);
  });

  it("counts NotFound on delete as done", async () => {
    const store = new SliceStore(() => 0);
    const { rest } = fakeRest({ [`delete ${PATH}/d`]: apiError(404, "delete") });
    const outcome = await applier(rest, store).apply(plan({ delete: [slice("d")] }));
    expect(outcome).toEqual({ writes: 1, conflict: false });
  });

  it("leaves a re-read slice that is not ours out of the store", async () => {
    const store = new SliceStore(() => 0);
    const { rest } = fakeRest({
      [`create ${PATH}`]: apiError(409, "create"),
      [`get ${PATH}/c`]: slice("c", { ours: false }),
    });
    const outcome = await applier(rest, store).apply(plan({ create: [slice("c")] }));
    expect(outcome.conflict).toBe(true);
    expect(store.ownedBy("swh")).toEqual([]);
  });

  it("stops at another error and returns it, naming the slice", async () => {
    const store = new SliceStore(() => 0);
    const { rest, requests } = fakeRest({ [`create ${PATH}`]: apiError(503, "create") });
    const outcome = await applier(rest, store).apply(plan({ create: [slice("a"), slice("b")] }));
    expect(outcome.writes).toBe(0);
    expect(outcome.conflict).toBe(false);
    expect(outcome.error?.message).toBe("EndpointSlice create failed for ns/a");
    expect(requests).toHaveLength(1);
    expect(retriable(outcome.error)).toBe(true);
  });

  it("calls a malformed write not retriable", () => {
    const wrapped = new Error("create failed", { cause: apiError(422, "create") });
    expect(retriable(wrapped)).toBe(false);
    expect(retriable(new Error("create failed", { cause: apiError(400, "create") }))).toBe(false);
    expect(retriable(new Error("network"))).toBe(true);
  });
});
