// Applying and reading manifests in scenarios the way `kubectl apply --server-side` would:
// any kind (resolved through discovery), into a namespace, with the API server's own answer —
// including its validation errors, which scenarios assert on.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { collectionPath, Discovery, objectPath, type ResourceInfo } from "../discovery.js";
import { deleteIfPresent, getOrUndefined } from "../kube.js";
import type { World } from "../world/handle.js";

/** A manifest. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly [k: string]: unknown;
  };
  readonly [key: string]: unknown;
}

const discoveries = new WeakMap<World["rest"], Discovery>();

function discoveryOf(world: World): Discovery {
  let d = discoveries.get(world.rest);
  if (!d) {
    d = new Discovery(world.rest);
    discoveries.set(world.rest, d);
  }
  return d;
}

/** The REST resource of a manifest's kind. */
export function resourceOf(
  world: World,
  m: Pick<Manifest, "apiVersion" | "kind">,
): Promise<ResourceInfo> {
  return discoveryOf(world).resolve(m.apiVersion, m.kind, 30_000);
}

/** The manifest with `metadata.namespace` set to `namespace` (what `kubectl -n` does). */
export function inNamespace<T extends Manifest>(m: T, namespace: string): T {
  return { ...m, metadata: { ...m.metadata, namespace } };
}

/** Path of the object a manifest names. */
export async function pathOf(world: World, m: Manifest): Promise<string> {
  return objectPath(await resourceOf(world, m), m.metadata.namespace, m.metadata.name);
}

/** Server-side applies a manifest (optionally as a dry run) and returns the stored object. */
export async function applyManifest<T = Record<string, unknown>>(
  world: World,
  m: Manifest,
  opts: { readonly dryRun?: boolean; readonly fieldManager?: string } = {},
): Promise<T> {
  const info = await resourceOf(world, m);
  return world.rest.request<T>({
    verb: "patch",
    resource: info.plural,
    path: objectPath(info, m.metadata.namespace, m.metadata.name),
    // kubectl's defaults: unknown or duplicate fields are errors, not silently dropped.
    query: {
      fieldManager: opts.fieldManager ?? "kubectl",
      force: true,
      fieldValidation: "Strict",
      ...(opts.dryRun ? { dryRun: "All" } : {}),
    },
    contentType: "application/apply-patch+yaml",
    body: m,
  });
}

/**
 * Creates a manifest's object with POST, as `kubectl create` (and a client-side `kubectl apply`
 * of a new object) does; with `dryRun` nothing is stored. Unlike server-side apply, a malformed
 * object gets the API server's validation answer (422), not a merge error.
 */
export async function createManifest<T = Record<string, unknown>>(
  world: World,
  m: Manifest,
  opts: { readonly dryRun?: boolean } = {},
): Promise<T> {
  const info = await resourceOf(world, m);
  return world.rest.request<T>({
    verb: "create",
    resource: info.plural,
    path: collectionPath(info, m.metadata.namespace),
    query: { fieldValidation: "Strict", ...(opts.dryRun ? { dryRun: "All" } : {}) },
    body: m,
  });
}

/** Reads the object a manifest names; undefined when absent. */
export async function getManifestObject<T = Record<string, unknown>>(
  world: World,
  m: Manifest,
): Promise<T | undefined> {
  return getOrUndefined<T>(world.rest, await pathOf(world, m));
}

/** Deletes the object a manifest names (no error when absent). */
export async function deleteManifestObject(world: World, m: Manifest): Promise<void> {
  await deleteIfPresent(world.rest, await pathOf(world, m));
}

/** Creates a namespace `<prefix>-<random>` and returns its name. */
export async function createNamespace(world: World, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await applyManifest(world, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  return name;
}

/** Runs `body` in a fresh namespace `<prefix>-<random>`, deleted afterwards whatever happened. */
export async function withNamespace<T>(
  world: World,
  prefix: string,
  body: (namespace: string) => Promise<T>,
): Promise<T> {
  const namespace = await createNamespace(world, prefix);
  try {
    return await body(namespace);
  } finally {
    await deleteNamespace(world, namespace, 180_000);
  }
}

/**
 * Deletes a namespace and waits (up to `timeoutMs`) until it is gone. Its pods go first, at once
 * (grace period 0, as `kubectl delete --now --force`), so the namespace controller need not wait
 * out their grace period (7 s to gone before, about 5 s now); pods a controller recreates
 * meanwhile are deleted the same way once the namespace is terminating (it admits no new pods).
 */
export async function deleteNamespace(
  world: World,
  name: string,
  timeoutMs = 90_000,
): Promise<void> {
  const path = `/api/v1/namespaces/${name}`;
  await deleteIfPresent(world.rest, `${path}/pods`, 0);
  await deleteIfPresent(world.rest, path);
  await deleteIfPresent(world.rest, `${path}/pods`, 0);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await getOrUndefined(world.rest, path))) return;
    await sleep(250);
  }
  throw new Error(`namespace ${name} still exists after ${timeoutMs} ms`);
}

/**
 * The Secret `kubectl create secret generic <name> --from-literal=k=v...` creates: type Opaque,
 * values base64-encoded in `data`.
 */
export function genericSecret(
  namespace: string,
  name: string,
  literals: Readonly<Record<string, string>>,
): Manifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace },
    type: "Opaque",
    data: Object.fromEntries(
      Object.entries(literals).map(([k, v]) => [k, Buffer.from(v).toString("base64")]),
    ),
  };
}
