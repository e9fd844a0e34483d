// Credentials Secrets, read strictly by name. The hooks grant the agent get/list/watch on exactly
// the Secret names SWHs reference (RBAC resourceNames), so the agent never lists a namespace's
// Secrets: one informer per referenced Secret, with fieldSelector metadata.name=<name> (the API
// server authorizes such list/watch requests against resourceNames). Only Secrets referenced by
// SWHs that have pods on this node are watched. The cache holds parsed credentials, never raw
// Secret data.

import { credentialsFromSecretData, type CredentialsResult } from "./desired/credentials.js";
import {
  describeError,
  isForbidden,
  isNotFound,
  isRecord,
  type RawSecret,
  Reflector,
  type ReflectorObserver,
  type KubeRest,
} from "swh-kube-client";
import type { Logger } from "./log.js";

/** Options of SecretWatcher. */
export interface SecretWatcherOptions {
  readonly rest: KubeRest;
  readonly log: Logger;
  readonly relistIntervalMs: number;
  readonly observer?: ReflectorObserver;
  /** Called whenever some Secret's credentials (or readability) change. */
  readonly onChange: () => void;
}

function splitRef(ref: string): [string, string] {
  const slash = ref.indexOf("/");
  return [ref.slice(0, slash), ref.slice(slash + 1)];
}

/** Why a Secret could not be read, for the probe's failure reason. */
export function unreadableReason(ref: string, err: unknown): string {
  if (isForbidden(err))
    return `Secret ${ref} is not readable by the agent (access not granted yet)`;
  if (isNotFound(err)) return `Secret ${ref} not found`;
  return `Secret ${ref} could not be read: ${describeError(err)}`.slice(0, 200);
}

/** Watches referenced Secrets by name and serves their parsed credentials. */
export class SecretWatcher {
  readonly #o: SecretWatcherOptions;
  readonly #reflectors = new Map<string, Reflector<CredentialsResult>>();
  readonly #errorsSeen = new Map<string, boolean>();

  constructor(options: SecretWatcherOptions) {
    this.#o = options;
  }

  /** Number of Secrets watched. */
  get size(): number {
    return this.#reflectors.size;
  }

  /** Watches exactly `refs` (`namespace/name`): starts new informers, stops unneeded ones. */
  ensure(refs: ReadonlySet<string>): void {
    for (const [ref, reflector] of this.#reflectors) {
      if (refs.has(ref)) continue;
      this.#reflectors.delete(ref);
      this.#errorsSeen.delete(ref);
      void reflector.stop();
    }
    for (const ref of refs) {
      if (!this.#reflectors.has(ref)) this.#start(ref);
    }
  }

  /** Credentials of `namespace/name`: parsed, an error, or "pending" before the first read. */
  lookup(namespace: string, name: string): CredentialsResult | "pending" {
    const ref = `${namespace}/${name}`;
    const reflector = this.#reflectors.get(ref);
    if (!reflector) return "pending";
    if (reflector.synced) return reflector.get(ref) ?? { error: `Secret ${ref} not found` };
    if (reflector.attempted) return { error: unreadableReason(ref, reflector.lastError) };
    return "pending";
  }

  /** True when every watched Secret has been read (or failed to be) at least once. */
  settled(): boolean {
    return [...this.#reflectors.values()].every(r => r.attempted);
  }

  /** Stops every informer. */
  async stop(): Promise<void> {
    const all = [...this.#reflectors.values()];
    this.#reflectors.clear();
    await Promise.all(all.map(r => r.stop()));
  }

  #start(ref: string): void {
    const [namespace, name] = splitRef(ref);
    const reflector = new Reflector<CredentialsResult>({
      name: "secrets",
      rest: this.#o.rest,
      resource: "secrets",
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`,
      fieldSelector: `metadata.name=${name}`,
      transform: raw =>
        isRecord(raw) ? credentialsFromSecretData(ref, (raw as RawSecret).data) : undefined,
      relistIntervalMs: this.#o.relistIntervalMs,
      log: this.#o.log.child({ secret: ref }),
      observer: {
        onRestart: (informer, reason) => {
          this.#o.observer?.onRestart?.(informer, reason);
          // A first failure changes lookup() from "pending" to an error: recompute.
          if (!this.#errorsSeen.get(ref)) {
            this.#errorsSeen.set(ref, true);
            this.#o.onChange();
          }
        },
        onList: () => {
          this.#errorsSeen.set(ref, false);
          this.#o.onChange();
        },
      },
    });
    reflector.on(() => this.#o.onChange());
    this.#reflectors.set(ref, reflector);
    reflector.start();
  }
}
