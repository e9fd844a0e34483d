// A manual Clock for stepping timer-driven code (the probe scheduler) through time without
// waiting: timers run in due order as the test advances the clock, and promise callbacks
// queued by each timer are flushed before the next one, so async chains settle in between.

import type { Clock, TimerHandle } from "../../images/agent/src/scheduler/types.js";

interface FakeTimer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/** Lets pending promise callbacks (and anything they chain) run. */
export function flushPromises(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve));
}

/** A Clock whose time moves only when the test calls advance(). */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: FakeTimer[] = [];

  constructor(start = Date.UTC(2025, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { id: this.nextId++, due: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter(timer => timer !== handle);
  }

  /** Timers armed and not yet fired or cleared. */
  pending(): number {
    return this.timers.length;
  }

  /** When the earliest pending timer is due, if any. */
  nextDue(): number | undefined {
    return this.earliest()?.due;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  /** Moves time to `target` (epoch ms), firing due timers in order. */
  async advanceTo(target: number): Promise<void> {
    await flushPromises();
    for (
      let timer = this.earliest();
      timer !== undefined && timer.due <= target;
      timer = this.earliest()
    ) {
      this.timers = this.timers.filter(t => t !== timer);
      this.current = Math.max(this.current, timer.due);
      timer.fn();
      await flushPromises();
    }
    this.current = Math.max(this.current, target);
  }

  private earliest(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const timer of this.timers) {
      if (
        best === undefined ||
        timer.due < best.due ||
        (timer.due === best.due && timer.id < best.id)
      ) {
        best = timer;
      }
    }
    return best;
  }
}
