// Kubernetes-client helpers over a running box, for tests and benchmarks: the admin KubeConfig,
// ServiceAccount tokens through the TokenRequest API (there is no token controller filling
// Secrets), server-side apply of YAML (optionally as a dry run) and waiting for a CRD to be
// Established. No kubectl needed.
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseAllDocuments } from "yaml";
import { renderKubeconfig } from "./kubeconfig.js";
import { defaultStateDir, stateLayout } from "./layout.js";
import { pkiFiles } from "./pki.js";
import { readState } from "./state.js";

/** Field manager used by applyYaml unless told otherwise. */
export const DEFAULT_FIELD_MANAGER = "swh-testenv";

/** Loads the admin kubeconfig of the box in `stateDir`. */
export function adminKubeConfig(stateDir = defaultStateDir()): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(stateLayout(stateDir).adminKubeconfig);
  return kc;
}

/** A ServiceAccount token and a kubeconfig that uses it. */
export interface IssuedToken {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The bearer token (a JWT). Do not log it. */
  readonly token: string;
  /** When the token expires (RFC 3339). */
  readonly expirationTimestamp: string;
  /** Kubeconfig file authenticating as the ServiceAccount (0600, in the state dir). */
  readonly kubeconfigPath: string;
  /** The same kubeconfig, loaded. */
  kubeConfig(): KubeConfig;
}

/** Options of issueToken. */
export interface IssueTokenOptions {
  readonly stateDir?: string;
  /** Token lifetime. Default 24 h, so long benchmarks do not outlive their token. */
  readonly expirationSeconds?: number;
  /** Create the ServiceAccount when it does not exist. Default true. */
  readonly create?: boolean;
  /** Token audiences; default the apiserver's (the issuer). */
  readonly audiences?: readonly string[];
}

function isStatus(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code;
}

async function ensureServiceAccount(
  core: CoreV1Api,
  namespace: string,
  name: string,
): Promise<void> {
  try {
    await core.readNamespacedServiceAccount({ name, namespace });
  } catch (err) {
    if (!isStatus(err, 404)) throw err;
    try {
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
    } catch (createErr) {
      if (!isStatus(createErr, 409)) throw createErr;
    }
  }
}

/**
 * Issues a token for ServiceAccount `namespace/serviceAccount` with the TokenRequest API and writes
 * a kubeconfig for it to `<state dir>/tokens/<namespace>.<serviceAccount>.kubeconfig`.
 */
export async function issueToken(
  namespace: string,
  serviceAccount: string,
  opts: IssueTokenOptions = {},
): Promise<IssuedToken> {
  const stateDir = opts.stateDir ?? defaultStateDir();
  const layout = stateLayout(stateDir);
  const state = await readState(layout.stateFile);
  if (!state) throw new Error(`testenv is not up in ${stateDir}; run scripts/testenv up`);
  const core = adminKubeConfig(stateDir).makeApiClient(CoreV1Api);
  const where = `${namespace}/${serviceAccount}`;
  let token: string;
  let expirationTimestamp: string;
  try {
    if (opts.create ?? true) await ensureServiceAccount(core, namespace, serviceAccount);
    // No audiences means the apiserver's own (its --api-audiences, here the issuer).
    const spec = {
      expirationSeconds: opts.expirationSeconds ?? 86_400,
      audiences: [...(opts.audiences ?? [])],
    };
    const res = await core.createNamespacedServiceAccountToken({
      name: serviceAccount,
      namespace,
      body: { spec },
    });
    token = res.status?.token ?? "";
    expirationTimestamp = new Date(res.status?.expirationTimestamp ?? 0).toISOString();
  } catch (err) {
    throw new Error(`issuing a token for ServiceAccount ${where} failed`, { cause: err });
  }
  if (!token) throw new Error(`TokenRequest for ${where} returned no token`);
  const caPem = await readFile(pkiFiles(layout.pkiDir).caCert, "utf8");
  const name = `system:serviceaccount:${namespace}:${serviceAccount}`;
  const text = renderKubeconfig({
    server: state.server,
    caPem,
    name,
    namespace,
    credentials: { token },
  });
  await mkdir(layout.tokenDir, { recursive: true, mode: 0o700 });
  const kubeconfigPath = join(layout.tokenDir, `${namespace}.${serviceAccount}.kubeconfig`);
  await writeFile(kubeconfigPath, text, { mode: 0o600 });
  return {
    namespace,
    serviceAccount,
    token,
    expirationTimestamp,
    kubeconfigPath,
    kubeConfig: () => {
      const kc = new KubeConfig();
      kc.loadFromString(text);
      return kc;
    },
  };
}

/** Parses a (multi-document) YAML stream into objects, skipping empty documents. */
export function parseManifests(text: string): KubernetesObject[] {
  const out: KubernetesObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new Error(`invalid YAML: ${doc.errors.map(e => e.message).join("; ")}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== "object" || Array.isArray(value)) {
      throw new Error(`a manifest must be a mapping, got ${JSON.stringify(value).slice(0, 80)}`);
    }
    out.push(value);
  }
  return out;
}

/** Options of applyYaml. */
export interface ApplyOptions {
  /** Apply as this client; default the box's admin. */
  readonly kubeConfig?: KubeConfig;
  readonly stateDir?: string;
  /** Server-side dry run: validate and admit, persist nothing. */
  readonly dryRun?: boolean;
  /** Field manager; default DEFAULT_FIELD_MANAGER. */
  readonly fieldManager?: string;
  /** Take over fields other managers own. Default true (like `kubectl apply --server-side --force-conflicts`). */
  readonly force?: boolean;
}

function describe(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace ? `${obj.metadata.namespace}/` : "";
  return `${obj.kind ?? "?"} ${ns}${obj.metadata?.name ?? "?"}`;
}

/**
 * Server-side applies manifests (YAML text or objects) in order and returns what the server
 * answered for each. Stops at the first failure, naming the object.
 */
export async function applyYaml(
  manifests: string | readonly KubernetesObject[],
  opts: ApplyOptions = {},
): Promise<KubernetesObject[]> {
  const objects = typeof manifests === "string" ? parseManifests(manifests) : [...manifests];
  const kc = opts.kubeConfig ?? adminKubeConfig(opts.stateDir);
  const api = KubernetesObjectApi.makeApiClient(kc);
  const results: KubernetesObject[] = [];
  for (const obj of objects) {
    try {
      const applied = await api.patch(
        obj,
        undefined,
        opts.dryRun ? "All" : undefined,
        opts.fieldManager ?? DEFAULT_FIELD_MANAGER,
        opts.force ?? true,
        PatchStrategy.ServerSideApply,
      );
      results.push(applied);
    } catch (err) {
      const verb = opts.dryRun ? "dry-run apply" : "apply";
      throw new Error(`${verb} of ${describe(obj)} failed`, { cause: err });
    }
  }
  return results;
}

/** Waits until CustomResourceDefinition `name` has condition Established=True. */
export async function waitForCrdEstablished(
  name: string,
  opts: { readonly stateDir?: string; readonly timeoutMs?: number } = {},
): Promise<void> {
  const api = adminKubeConfig(opts.stateDir).makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const crd = await api.readCustomResourceDefinition({ name });
    const established = crd.status?.conditions?.find(c => c.type === "Established");
    if (established?.status === "True") return;
    if (Date.now() >= deadline) {
      throw new Error(
        `CRD ${name} not Established: ${JSON.stringify(crd.status?.conditions ?? [])}`,
      );
    }
    await sleep(100);
  }
}
