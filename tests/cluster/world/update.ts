// Read-modify-write of world.json under the world lock, for changes made after `up` (backends
// started by tests, agents restarted, the rollout stand-in noting when an agent became ready).
import { withLock } from "../../testenv/lock.js";
import type { WorldLayout } from "../layout.js";
import { readWorldState, writeWorldState, type AgentRecord, type WorldState } from "../state.js";

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

/**
 * Records when a started agent first answered /readyz (`readyAt`), unless another agent has
 * replaced it on its node meanwhile.
 */
export async function markAgentReady(layout: WorldLayout, record: AgentRecord): Promise<void> {
  const readyAt = new Date().toISOString();
  await updateWorldState(layout, s => {
    const current = s.agents[record.node];
    if (current?.pid !== record.pid) return s;
    return { ...s, agents: { ...s.agents, [record.node]: { ...current, readyAt } } };
  });
}
