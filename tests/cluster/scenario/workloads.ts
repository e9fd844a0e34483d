// The seed's virtual machine as a real pod on a real node (a box started with `--nodes`): the
// launcher pod (labels vm=my-vm and KubeVirt's virt-launcher label) runs the test backends image
// with a web server on 8080 (/healthz answers a settable status) and an SMTP-like server on 2525,
// both started at boot; its daemon's control API (real-pods.ts) breaks and repairs them. The
// seed's PostgreSQL lives in real-postgres.ts.
import type { BackendClient } from "../backends/client.js";
import type { World } from "../world/handle.js";
import { startRealPods } from "./real-pods.js";

/** The credentials of the seed's `cred-secret`. */
export const SEED_CREDENTIALS = { user: "postgres", password: "example" } as const;

/** The VM's launcher pod, as KubeVirt names one. */
export const VM_POD = "virt-launcher-my-vm-7xk2p";

/** A running real pod of the test backends image. */
export interface RunningPod {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly ip: string;
  /** Its daemon: servers stopped and started, health flipped, loads run from it. */
  readonly backend: BackendClient;
}

/** The labels of the VM's launcher pod (the seed's Services select vm=my-vm). */
export const VM_LABELS = {
  vm: "my-vm",
  "kubevirt.internal.virtualization.deckhouse.io": "virt-launcher",
} as const;

/** Starts the VM pod in `namespace` on `node` (default node-2): web on 8080, smtp on 2525. */
export async function startVmWorkload(
  world: World,
  namespace: string,
  opts: { readonly node?: string; readonly name?: string } = {},
): Promise<RunningPod> {
  const name = opts.name ?? VM_POD;
  const node = opts.node ?? "node-2";
  const pods = await startRealPods(world, [
    {
      name,
      namespace,
      node,
      labels: VM_LABELS,
      serve: ["http:web:8080:/healthz", "tcp:smtp:2525"],
      ports: [
        { name: "web", containerPort: 8080 },
        { name: "smtp", containerPort: 2525 },
      ],
    },
  ]);
  const pod = pods.get(name)!;
  return { namespace, name, node, ...pod };
}
