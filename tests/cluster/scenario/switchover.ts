// A PostgreSQL primary switchover as an operator (or Patroni) performs it — fence the old
// primary (stop it, so it takes no more writes), promote a streaming replica — and the
// measurement of how long `postgres-write` takes to follow: from the start of the fence until
// the write Service's EndpointSlices show the new primary ready and the old one not ready, as a
// slice watcher (kube-proxy) sees them. Shared by the e2e scenario and the demo.
import type { BackendClient } from "../backends/client.js";
import type { World } from "../world/handle.js";
import { EndpointRecorder } from "./recorder.js";

/** Times of one switchover, in ms since its start (the fence). */
export interface SwitchoverTimes {
  readonly from: string;
  readonly to: string;
  /** The old primary stopped. */
  readonly fencedMs: number;
  /** The replica accepts writes. */
  readonly promotedMs: number;
  /** postgres-write shows the new primary ready. */
  readonly newPrimaryReadyMs: number;
  /** postgres-write shows the old primary not ready. */
  readonly oldPrimaryOutMs: number;
  /** Both: the write Service points at the new primary only. */
  readonly totalMs: number;
}

/** A switchover in progress. */
export interface Switchover {
  /** True once the write Service has only the new primary ready. */
  done(): boolean;
  /** Lines narrating what happened so far. */
  progress(): string[];
  /** The times (throws until done). */
  times(): SwitchoverTimes;
  /** Stops watching. */
  close(): Promise<void>;
}

/** Fences `from` and promotes `to`; the write Service is watched from before the fence. */
export async function startSwitchover(
  world: World,
  opts: {
    readonly namespace: string;
    readonly backend: BackendClient;
    readonly from: string;
    readonly to: string;
    readonly writeService?: string;
  },
): Promise<Switchover> {
  const recorder = new EndpointRecorder(
    world,
    opts.namespace,
    opts.writeService ?? "postgres-write",
  );
  await recorder.start();
  const t0 = Date.now();
  await opts.backend.stopPostgres(opts.from, "fast");
  const fencedMs = Date.now() - t0;
  await opts.backend.promote(opts.to);
  const promotedMs = Date.now() - t0;
  const readyAt = (): number | undefined => recorder.firstChange(opts.to, true, t0);
  const outAt = (): number | undefined => recorder.firstChange(opts.from, false, t0);
  const done = (): boolean => {
    const current = recorder.current();
    return current.get(opts.to) === true && current.get(opts.from) !== true;
  };
  const ms = (at: number | undefined): number => (at === undefined ? NaN : at - t0);
  return {
    done,
    progress: () => {
      const lines = [
        `switchover ${opts.from} -> ${opts.to}:`,
        `  +${(fencedMs / 1000).toFixed(1)} s  ${opts.from} fenced (stopped: it takes no more writes)`,
        `  +${(promotedMs / 1000).toFixed(1)} s  ${opts.to} promoted (accepts writes)`,
      ];
      const r = readyAt();
      const o = outAt();
      if (r !== undefined)
        lines.push(`  +${(ms(r) / 1000).toFixed(1)} s  postgres-write: ${opts.to} ready`);
      if (o !== undefined)
        lines.push(`  +${(ms(o) / 1000).toFixed(1)} s  postgres-write: ${opts.from} out`);
      if (r === undefined || o === undefined) {
        lines.push("  ... waiting for the probes (each runs every periodSeconds)");
      }
      return lines;
    },
    times: () => {
      if (!done()) throw new Error("the switchover has not completed");
      // The old primary may never have been ready in the recorder's view (already out): 0 then.
      const newPrimaryReadyMs = ms(readyAt());
      const oldPrimaryOutMs = outAt() === undefined ? 0 : ms(outAt());
      return {
        from: opts.from,
        to: opts.to,
        fencedMs,
        promotedMs,
        newPrimaryReadyMs,
        oldPrimaryOutMs,
        totalMs: Math.max(newPrimaryReadyMs, oldPrimaryOutMs),
      };
    },
    close: () => recorder.stop(),
  };
}
