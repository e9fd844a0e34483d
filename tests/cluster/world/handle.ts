// What world operations need in hand: where the world lives, what it recorded, an admin client.
import type { KubeRest } from "swh-kube-client";
import type { WorldLayout } from "../layout.js";
import type { WorldState } from "../state.js";

/** A running world, as seen by one process. */
export interface World {
  readonly layout: WorldLayout;
  /** world.json as read when the handle was made (processes may change; nodes and network not). */
  readonly state: WorldState;
  /** The box's admin client. */
  readonly rest: KubeRest;
}
