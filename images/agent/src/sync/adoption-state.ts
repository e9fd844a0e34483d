// What the agent adopted from the slices the previous agent on this node published (adoption.ts
// reads them), held from start-up until each probe has a result of its own: a worker created
// while adoption is open takes its adopted health as its starting state, and keeps it (with its
// published failure reason) until the scheduler reports a fresh result. Adoption closes once the
// agent starts; workers created later start unknown, as new endpoints do.

import {
  adoptFromSlices,
  adoptedProbe,
  type AdoptedEndpoint,
  type AdoptedProbe,
} from "../adoption.js";
import type { RawEndpointSlice } from "swh-kube-client";
import type { ProbeState } from "../scheduler/types.js";

/** Adopted endpoint and probe health (see file header). */
export class AdoptionState {
  #endpoints = new Map<string, AdoptedEndpoint>();
  readonly #probes = new Map<string, AdoptedProbe>();
  #open = true;

  /** Adopts the endpoints published in `slices`; returns them, keyed like desired endpoints. */
  adopt(slices: readonly RawEndpointSlice[]): ReadonlyMap<string, AdoptedEndpoint> {
    this.#endpoints = adoptFromSlices(slices);
    return this.#endpoints;
  }

  /** Stops adopting new workers; returns how many endpoints were adopted. */
  close(): number {
    const adopted = this.#endpoints.size;
    this.#open = false;
    this.#endpoints = new Map();
    return adopted;
  }

  /** The adopted health of a worker (adopted on first ask while adoption is open). */
  healthy(workerKey: string, probeName: string): boolean | undefined {
    let adopted = this.#probes.get(workerKey);
    if (!adopted && this.#open) {
      adopted = adoptedProbe(this.#endpoints, workerKey, probeName);
      if (adopted) this.#probes.set(workerKey, adopted);
    }
    return adopted?.healthy;
  }

  /** Forgets the workers that no longer exist. */
  retain(workerKeys: ReadonlySet<string>): void {
    for (const key of this.#probes.keys()) if (!workerKeys.has(key)) this.#probes.delete(key);
  }

  /**
   * A worker's state for evaluation: the scheduler's `state` once known, else the adopted one; an
   * adopted failing probe keeps its published reason until a fresh result replaces it.
   */
  stateOf(key: string, state: ProbeState | undefined, now: number): ProbeState | undefined {
    const adopted = this.#probes.get(key);
    if (!adopted) return state;
    if (!state || !state.known) {
      return {
        healthy: adopted.healthy,
        known: true,
        reason: adopted.reason,
        since: new Date(now),
      };
    }
    return !state.healthy && state.reason === "" ? { ...state, reason: adopted.reason } : state;
  }
}
