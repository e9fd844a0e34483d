// What kube-controller-manager left behind for the SWHs of the hook-scaling benchmark that
// adopted an existing Service (hooks/lib/controller-leftovers.ts says why these objects exist):
// the endpointslice controller's last slice of the Service, its Endpoints object, and the
// mirroring controller's copy of that Endpoints object, none marked yet. The child-service hook
// marks them in the first round, and the GC hook deletes them once the agents publish the same
// ready endpoints - or, after a grace period, anyway.
//
// One SWH in a hundred (ADOPTED_EVERY) carries them: adoptions are one-off migrations, and their
// leftovers live about two minutes. Half of those saw the same failing pod as the agents (the
// kubelet's readiness probe failed it too), so the GC hook deletes them in the second round; the
// other half listed every pod as ready, so the leftovers stay marked through the grace period and
// the steady state carries them in the GC hook's snapshot. Pure and deterministic.

import {
  childService,
  endpointsOf,
  nodeName,
  swh,
  type KubeObject,
  type Scale,
} from "./objects.js";
import {
  controllerEndpoints,
  controllerSlice,
  mirrorSlice,
  type Backend,
  type ServiceRef,
} from "./controller-objects.js";

/** One SWH in this many adopted a Service whose leftovers are still there. */
export const ADOPTED_EVERY = 100;
/** Which SWH of each ADOPTED_EVERY (not 0: those probe PostgreSQL). */
const ADOPTED_OFFSET = 42;

/** Whether SWH `i` adopted a Service whose leftovers are still there. */
export function adopted(i: number): boolean {
  return i % ADOPTED_EVERY === ADOPTED_OFFSET;
}

/** The SWH's pods as the kubelet saw them: failing as the agents see them, or all ready. */
function backendsOf(i: number, scale: Scale, allReady: boolean): Backend[] {
  const out: Backend[] = [];
  for (const [n, endpoints] of endpointsOf(i, scale)) {
    for (const e of endpoints) {
      out.push({ pod: e.pod, address: e.address, node: nodeName(n), ready: allReady || e.ready });
    }
  }
  return out.sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0));
}

function adoptedServiceRef(i: number, scale: Scale): ServiceRef {
  const child = childService(i, scale);
  return {
    name: child.metadata.name,
    namespace: child.metadata.namespace ?? "",
    uid: String(child.metadata.uid),
    labels: (child.metadata.labels ?? {}) as Record<string, string>,
  };
}

/** The leftovers of SWH `i` (empty unless it adopted a Service). */
export function leftoversOf(i: number, scale: Scale): KubeObject[] {
  if (!adopted(i)) return [];
  const ref = adoptedServiceRef(i, scale);
  const allReady = Math.floor(i / ADOPTED_EVERY) % 2 === 1;
  const backends = backendsOf(i, scale, allReady);
  const targetPort = (swh(i, scale).spec as { ports: Array<{ targetPort: number }> }).ports[0];
  const port = { name: "main", port: targetPort?.targetPort ?? 8080 };
  const endpoints = controllerEndpoints(ref, backends, port);
  return [controllerSlice(ref, backends, port), endpoints, mirrorSlice(endpoints, backends, port)];
}

/** The leftovers of every adopting SWH at `scale`. */
export function adoptionLeftovers(scale: Scale): KubeObject[] {
  const out: KubeObject[] = [];
  for (let i = ADOPTED_OFFSET; i < scale.swhs; i += ADOPTED_EVERY)
    out.push(...leftoversOf(i, scale));
  return out;
}
