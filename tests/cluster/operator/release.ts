// The module's Helm release for the operator stand-in: `helm template` renders the module's
// templates with its values (the helm v3 binary built by testenv's build-tools.sh), then every
// object is server-side applied in Helm's install order, and objects of the previous render that
// are gone from this one are deleted. A ConfigMap in the operator's namespace records the
// release (checksum and objects), as Helm stores releases in the cluster, so an unchanged render
// is not applied again (addon-operator's checksum rule) and a disabled module is uninstalled.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { isNotFound } from "../../../images/agent/src/kube/errors.js";
import type { KubeRest } from "../../../images/agent/src/kube/rest.js";
import { objectPath, type Discovery } from "./discovery.js";

const run = promisify(execFile);

/** A rendered object (what apply needs of it). */
export interface RenderedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly [key: string]: unknown;
}

/** Identity of an applied object, as recorded in the release. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** Helm's install order for the kinds a module renders; unknown kinds go last. */
export const INSTALL_ORDER: readonly string[] = [
  "Namespace",
  "NetworkPolicy",
  "ResourceQuota",
  "LimitRange",
  "PodSecurityPolicy",
  "PodDisruptionBudget",
  "ServiceAccount",
  "Secret",
  "ConfigMap",
  "StorageClass",
  "PersistentVolume",
  "PersistentVolumeClaim",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleBinding",
  "Role",
  "RoleBinding",
  "Service",
  "DaemonSet",
  "Pod",
  "ReplicaSet",
  "Deployment",
  "StatefulSet",
  "Job",
  "CronJob",
];

/** Sorts objects into install order (stable within a kind). */
export function installOrder<T extends { kind: string }>(objects: readonly T[]): T[] {
  const rank = (k: string): number => {
    const i = INSTALL_ORDER.indexOf(k);
    return i < 0 ? INSTALL_ORDER.length : i;
  };
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o.kind) - rank(b.o.kind) || a.i - b.i)
    .map(x => x.o);
}

/** `kind/namespace/name` of a reference. */
export function refKey(r: ObjectRef): string {
  return `${r.apiVersion}/${r.kind}/${r.namespace ?? ""}/${r.name}`;
}

/** References in `previous` that `next` no longer has. */
export function staleRefs(previous: readonly ObjectRef[], next: readonly ObjectRef[]): ObjectRef[] {
  const keep = new Set(next.map(refKey));
  return previous.filter(r => !keep.has(refKey(r)));
}

/** Parses `helm template` output into objects, dropping empty documents. */
export function parseRendered(text: string): RenderedObject[] {
  const out: RenderedObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0)
      throw new Error(`helm output: ${doc.errors[0]?.message ?? "bad YAML"}`);
    const value = doc.toJS() as RenderedObject | null;
    if (!value || typeof value !== "object") continue;
    if (!value.kind || !value.metadata?.name)
      throw new Error(`helm output: an object without kind or name`);
    out.push(value);
  }
  return out;
}

/** Renders the chart in `chartDir` with `values`; returns the objects and the render checksum. */
export async function renderChart(opts: {
  readonly helm: string;
  readonly chartDir: string;
  readonly release: string;
  readonly namespace: string;
  readonly values: unknown;
  readonly tmpDir: string;
}): Promise<{ objects: RenderedObject[]; checksum: string }> {
  const dir = await mkdtemp(join(opts.tmpDir, "helm-"));
  try {
    const valuesFile = join(dir, "values.json");
    await writeFile(valuesFile, JSON.stringify(opts.values));
    const { stdout } = await run(
      opts.helm,
      [
        "template",
        opts.release,
        opts.chartDir,
        "--namespace",
        opts.namespace,
        "--values",
        valuesFile,
      ],
      { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
    ).catch((err: unknown) => {
      const stderr = ((err as { stderr?: string }).stderr ?? "").trim();
      throw new Error(`helm template failed: ${stderr || String(err)}`, { cause: err });
    });
    return {
      objects: parseRendered(stdout),
      checksum: createHash("sha256").update(stdout).digest("hex"),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Where the release record lives. */
export interface ReleaseStore {
  readonly namespace: string;
  readonly name: string;
}

/** A stored release. */
export interface ReleaseRecord {
  readonly checksum: string;
  readonly objects: readonly ObjectRef[];
}

/** Reads the release record; undefined when there is none. */
export async function readRelease(
  rest: KubeRest,
  store: ReleaseStore,
): Promise<ReleaseRecord | undefined> {
  try {
    const cm = await rest.request<{ data?: Record<string, string> }>({
      verb: "get",
      resource: "configmaps",
      path: `/api/v1/namespaces/${store.namespace}/configmaps/${store.name}`,
    });
    return {
      checksum: cm.data?.checksum ?? "",
      objects: JSON.parse(cm.data?.objects ?? "[]") as ObjectRef[],
    };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new Error(`reading release record ${store.namespace}/${store.name} failed`, {
      cause: err,
    });
  }
}

async function writeRelease(
  rest: KubeRest,
  store: ReleaseStore,
  record: ReleaseRecord,
): Promise<void> {
  await rest.request({
    verb: "patch",
    resource: "configmaps",
    path: `/api/v1/namespaces/${store.namespace}/configmaps/${store.name}`,
    query: { fieldManager: "addon-operator", force: true },
    contentType: "application/apply-patch+yaml",
    body: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: store.name,
        namespace: store.namespace,
        labels: { owner: "addon-operator" },
      },
      data: { checksum: record.checksum, objects: JSON.stringify(record.objects) },
    },
  });
}

function refOf(o: RenderedObject): ObjectRef {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    name: o.metadata.name,
  };
}

/** Objects a release installs into a namespace get it when the template omitted it. */
async function withNamespace(
  discovery: Discovery,
  o: RenderedObject,
  ns: string,
): Promise<RenderedObject> {
  const info = await discovery.resolve(o.apiVersion, o.kind, 30_000);
  if (!info.namespaced || o.metadata.namespace) return o;
  return { ...o, metadata: { ...o.metadata, namespace: ns } };
}

async function deleteRef(rest: KubeRest, discovery: Discovery, ref: ObjectRef): Promise<void> {
  const info = await discovery.resolve(ref.apiVersion, ref.kind, 0).catch(() => undefined);
  if (!info) return; // the kind is gone (a CRD removed): nothing to delete
  try {
    await rest.request({
      verb: "delete",
      resource: info.plural,
      path: objectPath(info, ref.namespace, ref.name),
      body: { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Background" },
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * Applies a render: server-side apply of every object in install order (field manager
 * `addon-operator`), deletion of objects the previous release had and this one lacks, and the
 * new record. Returns false when the checksum equals the recorded one (nothing done).
 */
export async function applyRelease(opts: {
  readonly rest: KubeRest;
  readonly discovery: Discovery;
  readonly store: ReleaseStore;
  readonly namespace: string;
  readonly objects: readonly RenderedObject[];
  readonly checksum: string;
}): Promise<boolean> {
  const { rest, discovery, store } = opts;
  const previous = await readRelease(rest, store);
  if (previous?.checksum === opts.checksum) return false;
  const objects: RenderedObject[] = [];
  for (const o of installOrder(opts.objects)) {
    const obj = await withNamespace(discovery, o, opts.namespace);
    const info = await discovery.resolve(obj.apiVersion, obj.kind, 30_000);
    try {
      await rest.request({
        verb: "patch",
        resource: info.plural,
        path: objectPath(info, obj.metadata.namespace, obj.metadata.name),
        query: { fieldManager: "addon-operator", force: true },
        contentType: "application/apply-patch+yaml",
        body: obj,
      });
    } catch (err) {
      throw new Error(
        `applying ${obj.kind} ${obj.metadata.namespace ?? ""}/${obj.metadata.name} failed`,
        {
          cause: err,
        },
      );
    }
    objects.push(obj);
  }
  const refs = objects.map(refOf);
  for (const ref of staleRefs(previous?.objects ?? [], refs).reverse()) {
    await deleteRef(rest, discovery, ref);
  }
  await writeRelease(rest, store, { checksum: opts.checksum, objects: refs });
  return true;
}

/** Deletes every object of the release (reverse install order) and the record. */
export async function uninstallRelease(
  rest: KubeRest,
  discovery: Discovery,
  store: ReleaseStore,
): Promise<number> {
  const previous = await readRelease(rest, store);
  if (!previous) return 0;
  const ordered = installOrder(previous.objects).reverse();
  for (const ref of ordered) await deleteRef(rest, discovery, ref);
  await rest
    .request({
      verb: "delete",
      resource: "configmaps",
      path: `/api/v1/namespaces/${store.namespace}/configmaps/${store.name}`,
    })
    .catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  return ordered.length;
}
