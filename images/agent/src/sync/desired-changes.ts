// Which SWHs a recompute of the desired state touched: each published SWH gets a fingerprint of
// everything its slices depend on besides probe states (the SWH, publishNotReadyAddresses, its
// endpoints); an SWH whose fingerprint changed, appeared or disappeared needs a sync. Probe
// state changes reach the sync queue directly, not through here.

import { createHash } from "node:crypto";
import type { SwhDesired } from "../desired/endpoints.js";

/** A fingerprint per SWH (see file header). Pure. */
export function desiredFingerprints(swhs: ReadonlyMap<string, SwhDesired>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [uid, sd] of swhs) {
    const fp = createHash("sha1")
      .update(JSON.stringify([sd.swh, sd.publishNotReadyAddresses, sd.endpoints]))
      .digest("base64");
    out.set(uid, fp);
  }
  return out;
}

/** Remembers the last fingerprints and tells which SWHs changed since. */
export class DesiredChanges {
  #fingerprints = new Map<string, string>();

  /** The uids whose desired state changed, appeared or disappeared since the last call. */
  changed(swhs: ReadonlyMap<string, SwhDesired>): string[] {
    const next = desiredFingerprints(swhs);
    const out: string[] = [];
    for (const [uid, fp] of next) if (this.#fingerprints.get(uid) !== fp) out.push(uid);
    for (const uid of this.#fingerprints.keys()) if (!next.has(uid)) out.push(uid);
    this.#fingerprints = next;
    return out;
  }
}
