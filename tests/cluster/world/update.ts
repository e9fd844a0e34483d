// Read-modify-write of world.json under the world lock, for changes made after `up` (the
// operator restarted by a scenario, say).
import { withLock } from "../../testenv/lock.js";
import type { WorldLayout } from "../layout.js";
import { readWorldState, writeWorldState, type WorldState } from "../state.js";

/** Applies `change` to world.json atomically with respect to other harness processes. */
export async function updateWorldState(
  layout: WorldLayout,
  change: (state: WorldState) => WorldState | Promise<WorldState>,
): Promise<WorldState> {
  return withLock(layout.lockFile, 10 * 60_000, async () => {
    const state = await readWorldState(layout.stateFile);
    if (!state) throw new Error(`no world in ${layout.root}; bring it up first`);
    const next = await change(state);
    await writeWorldState(layout.stateFile, next);
    return next;
  });
}
