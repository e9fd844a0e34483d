// Entries of a pod's drain annotation that are not SWH names (desired/drain.ts ignores them) are
// worth a warning, once per pod and annotation value: the informer sees every pod again at each
// relist, and a warning per relist would drown the log.

import { ANNOTATION_DRAIN_FROM } from "../../../api/contract.js";
import type { PodSnapshot } from "./desired/pods.js";
import type { Logger } from "./log.js";

/** Warns about invalid drain entries (see file header). */
export class DrainWarnings {
  readonly #log: Logger;
  /** Pod uid -> the invalid entries last warned about. */
  readonly #warned = new Map<string, string>();

  constructor(log: Logger) {
    this.#log = log;
  }

  /** A pod was added or updated. */
  upsert(pod: PodSnapshot): void {
    const invalid = pod.drainFrom?.invalid ?? [];
    if (invalid.length === 0) {
      this.#warned.delete(pod.uid);
      return;
    }
    const text = invalid.join(",");
    if (this.#warned.get(pod.uid) === text) return;
    this.#warned.set(pod.uid, text);
    this.#log.warn(`ignoring entries of annotation ${ANNOTATION_DRAIN_FROM} that are not names`, {
      pod: `${pod.namespace}/${pod.name}`,
      ignored: invalid,
    });
  }

  /** A pod was deleted. */
  delete(pod: PodSnapshot): void {
    this.#warned.delete(pod.uid);
  }
}
