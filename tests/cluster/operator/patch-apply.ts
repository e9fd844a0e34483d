// Applies a hook's $KUBERNETES_PATCH_PATH operations to the API server, with shell-operator's
// semantics: Create fails on an existing object, CreateIfNotExists does not, CreateOrUpdate
// merge-patches an existing object (never its status); the three deletes differ by propagation
// (foreground waits until the object is gone); MergePatch, JSONPatch and JQPatch honour
// `subresource` and `ignoreMissingObject`; `ignoreHookError` turns an operation's failure into a
// log line. Every operation runs, then the failures are reported together (the hook failed).
import type { KubeObject, PatchOperation } from "shell-operator-ts-hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { describeError, isConflict, isNotFound } from "../../../images/agent/src/kube/errors.js";
import type { KubeRest } from "../../../images/agent/src/kube/rest.js";
import type { Logger } from "../../../images/agent/src/log.js";
import { collectionPath, objectPath, type Discovery, type ResourceInfo } from "./discovery.js";
import { jqOnce } from "./jq.js";

/** What applying needs. */
export interface PatchContext {
  readonly rest: KubeRest;
  readonly discovery: Discovery;
  readonly log: Logger;
  readonly jqPath: string;
}

/** Parses a stream of concatenated JSON values (the patch and metrics file format). */
export function parseJsonStream(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
      if (depth < 0) throw new Error(`unbalanced JSON at offset ${i}`);
    } else if (depth === 0 && c !== undefined && !/\s/.test(c)) {
      throw new Error(`unexpected ${JSON.stringify(c)} between JSON values at offset ${i}`);
    }
  }
  if (depth !== 0 || inString) throw new Error("truncated JSON stream");
  return out;
}

interface Target {
  readonly info: ResourceInfo;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly subresource: string | undefined;
}

async function targetOf(ctx: PatchContext, op: PatchOperation): Promise<Target> {
  if ("object" in op) {
    const meta = op.object.metadata;
    return {
      info: await ctx.discovery.resolve(op.object.apiVersion, op.object.kind, 10_000),
      namespace: meta.namespace || undefined,
      name: meta.name,
      subresource: op.subresource,
    };
  }
  return {
    info: await ctx.discovery.resolve(op.apiVersion ?? "v1", op.kind, 10_000),
    namespace: op.namespace || undefined,
    name: op.name,
    subresource: op.subresource,
  };
}

function pathOf(t: Target): string {
  return objectPath(t.info, t.namespace, t.name, t.subresource);
}

async function create(ctx: PatchContext, t: Target, object: unknown): Promise<void> {
  const base = collectionPath(t.info, t.namespace);
  await ctx.rest.request({ verb: "create", resource: t.info.plural, path: base, body: object });
}

async function replaceWithRetry(
  ctx: PatchContext,
  t: Target,
  mutate: (current: Record<string, unknown>) => Promise<unknown>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const current = await ctx.rest.request<Record<string, unknown>>({
      verb: "get",
      resource: t.info.plural,
      path: objectPath(t.info, t.namespace, t.name),
    });
    const next = await mutate(current);
    try {
      await ctx.rest.request({
        verb: "update",
        resource: t.info.plural,
        path: pathOf(t),
        body: next,
      });
      return;
    } catch (err) {
      if (!isConflict(err) || attempt >= 5) throw err;
      await sleep(50 * attempt);
    }
  }
}

/** The merge patch CreateOrUpdate sends: the object without status and resourceVersion. */
export function mergePatchOf(object: KubeObject): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) if (key !== "status") patch[key] = value;
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object.metadata)) {
    if (key !== "resourceVersion") metadata[key] = value;
  }
  return { ...patch, metadata };
}

/**
 * CreateOrUpdate: create, or when the object exists apply the desired object as a JSON merge
 * patch — never touching `.status` (shell-operator's documented behaviour).
 */
async function createOrUpdate(ctx: PatchContext, t: Target, object: KubeObject): Promise<void> {
  try {
    await create(ctx, t, object);
  } catch (err) {
    if (!isConflict(err)) throw err;
    await patch(
      ctx,
      { ...t, subresource: undefined },
      mergePatchOf(object),
      "application/merge-patch+json",
    );
  }
}

const PROPAGATION = {
  Delete: "Foreground",
  DeleteInBackground: "Background",
  DeleteNonCascading: "Orphan",
} as const;

async function remove(ctx: PatchContext, t: Target, kind: keyof typeof PROPAGATION): Promise<void> {
  const propagationPolicy = PROPAGATION[kind];
  try {
    await ctx.rest.request({
      verb: "delete",
      resource: t.info.plural,
      path: pathOf(t),
      body: { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy },
    });
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  if (propagationPolicy !== "Foreground") return;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      await ctx.rest.request({ verb: "get", resource: t.info.plural, path: pathOf(t) });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    await sleep(500);
  }
  throw new Error(`${t.info.kind} ${t.name} still exists 20 s after a foreground delete`);
}

async function patch(
  ctx: PatchContext,
  t: Target,
  body: unknown,
  contentType: string,
): Promise<void> {
  await ctx.rest.request({
    verb: "patch",
    resource: t.info.plural,
    path: pathOf(t),
    body,
    contentType,
  });
}

async function applyOne(ctx: PatchContext, op: PatchOperation): Promise<void> {
  const t = await targetOf(ctx, op);
  switch (op.operation) {
    case "Create":
      return create(ctx, t, op.object);
    case "CreateIfNotExists":
      return create(ctx, t, op.object).catch((err: unknown) => {
        if (!isConflict(err)) throw err;
      });
    case "CreateOrUpdate":
      return createOrUpdate(ctx, t, op.object);
    case "Delete":
    case "DeleteInBackground":
    case "DeleteNonCascading":
      return remove(ctx, t, op.operation);
    case "MergePatch":
      return patch(ctx, t, op.mergePatch, "application/merge-patch+json");
    case "JSONPatch":
      return patch(ctx, t, op.jsonPatch, "application/json-patch+json");
    case "JQPatch":
      return replaceWithRetry(ctx, t, current => jqOnce(op.jqFilter, current, ctx.jqPath));
  }
}

function describeOp(op: PatchOperation): string {
  if ("object" in op) {
    const m = op.object.metadata;
    return `${op.operation} ${op.object.kind} ${m.namespace ? `${m.namespace}/` : ""}${m.name}`;
  }
  return `${op.operation} ${op.kind} ${op.namespace ? `${op.namespace}/` : ""}${op.name}`;
}

function tolerated(op: PatchOperation, err: unknown): boolean {
  return "ignoreMissingObject" in op && op.ignoreMissingObject === true && isNotFound(err);
}

/**
 * Applies every operation in order. Failures of operations with `ignoreHookError` are logged;
 * the others are thrown together after the last operation.
 */
export async function applyOperations(
  ctx: PatchContext,
  operations: readonly PatchOperation[],
): Promise<void> {
  const failures: string[] = [];
  for (const op of operations) {
    try {
      await applyOne(ctx, op);
      ctx.log.debug("operation applied", { operation: describeOp(op) });
    } catch (err) {
      if (tolerated(op, err)) {
        ctx.log.debug("operation skipped: object missing (ignoreMissingObject)", {
          operation: describeOp(op),
        });
        continue;
      }
      const message = `${describeOp(op)}: ${describeError(err)}`;
      if ("ignoreHookError" in op && op.ignoreHookError === true) {
        ctx.log.warn("operation failed (ignoreHookError)", { operation: message });
      } else {
        failures.push(message);
      }
    }
  }
  if (failures.length > 0) {
    throw new Error(
      `${failures.length} of ${operations.length} operations failed: ${failures.join("; ")}`,
    );
  }
}
