// The real Clock: wall time and Node timers, every timer unref()'d so a scheduler never keeps
// the agent process alive on its own (shutdown is driven by signals, not by empty loops).

import type { Clock, TimerHandle } from "./types.js";

/** Wall-clock time and unref()'d Node.js timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): TimerHandle => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle: TimerHandle): void => {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
