// Decides what sync() must do with a worker whose key is still desired: nothing, re-time it
// (period, timeout, delays or thresholds changed: keep its state) or restart it (address or
// probe changed: its past results say nothing about the new target).

import type { WorkerSpec } from "./types.js";

/** What changed between two specs of the same key. */
export type SpecChange = "none" | "timing" | "target";

/** Classifies the change from `before` to `after`. */
export function classifyChange(before: WorkerSpec, after: WorkerSpec): SpecChange {
  if (before.address !== after.address || !deepEqual(before.probe, after.probe)) return "target";
  const sameTiming =
    before.periodMs === after.periodMs &&
    before.timeoutMs === after.timeoutMs &&
    before.initialDelayMs === after.initialDelayMs &&
    before.successThreshold === after.successThreshold &&
    before.failureThreshold === after.failureThreshold &&
    before.recheckMs === after.recheckMs &&
    before.podStartedAt?.getTime() === after.podStartedAt?.getTime();
  return sameTiming ? "none" : "timing";
}

/** Structural equality of JSON-like data (objects, arrays, primitives). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a).filter(k => (a as Record<string, unknown>)[k] !== undefined);
  const keysB = Object.keys(b).filter(k => (b as Record<string, unknown>)[k] !== undefined);
  if (keysA.length !== keysB.length) return false;
  return keysA.every(key =>
    deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}
