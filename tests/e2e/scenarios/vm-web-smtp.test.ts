// The seed's virtual-machine example end to end: one launcher pod (label vm=my-vm, a real pod on
// node-2) whose guest runs a web server on 8080 (/healthz) and an SMTP server on 2525, exposed as two
// ServiceWithHealthchecks `web` (HTTP probe) and `smtp` (TCP probe) applied from the seed
// verbatim. Each Service fails and recovers on its own while the other keeps its endpoint, which
// a plain Service (one readiness verdict per pod) cannot do.
import { jest } from "@jest/globals";
import { readyPods, serviceEndpoints } from "../../cluster/scenario/endpoints.js";
import { createNamespace, deleteNamespace, applyManifest } from "../../cluster/scenario/objects.js";
import { EndpointRecorder } from "../../cluster/scenario/recorder.js";
import {
  releaseScenarioWorld,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { conditionOf, endpointStatusOf, getSwh, seedIn } from "../../cluster/scenario/swh.js";
import { startVmWorkload, VM_POD, type RunningPod } from "../../cluster/scenario/workloads.js";
import type { World } from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";
import { recordMeasurement } from "../../cluster/scenario/report.js";
import { mergePatch } from "../../cluster/kube.js";
import { swhPath } from "../../cluster/scenario/swh.js";

jest.setTimeout(300_000);

let world: World;
let ns: string;
let vm: RunningPod;
const pod = VM_POD;

beforeAll(async () => {
  ({ world } = await scenarioWorld());
  ns = await createNamespace(world, "swh-vm");
  vm = await startVmWorkload(world, ns);
  for (const name of ["web", "smtp"] as const) await applyManifest(world, seedIn(name, ns));
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (ns) await deleteNamespace(world, ns);
  await releaseScenarioWorld();
});

describe("the seed's VM example: web (HTTP) and smtp (TCP) over one pod", () => {
  it("publishes the VM pod in both Services with the seed's manifests as written", async () => {
    for (const svc of ["web", "smtp"]) {
      await eventually(
        `${svc} has the VM pod ready`,
        async () => {
          expect(await readyPods(world, ns, svc)).toEqual([pod]);
        },
        90_000,
        500,
      );
    }
    const web = await serviceEndpoints(world, ns, "web");
    expect(web[0]).toMatchObject({ address: vm.ip, node: "node-2", serving: true });
  });

  it("reports web Ready, 1/1, in its status", async () => {
    await eventually(
      "web status reports 1/1 ready",
      async () => {
        const swh = await getSwh(world, ns, "web");
        expect(swh?.status?.readySummary).toBe("1/1");
        expect(conditionOf(swh, "Ready")?.status).toBe("True");
      },
      60_000,
      500,
    );
  });

  it("tightens the probe period like an administrator would (merge patch) before the failure drills", async () => {
    for (const svc of ["web", "smtp"]) {
      await mergePatch(world.rest, swhPath(ns, svc), {
        spec: { healthcheck: { periodSeconds: 1, initialDelaySeconds: 0 } },
      });
    }
    // Still healthy after the agents took the new spec.
    for (const svc of ["web", "smtp"]) expect(await readyPods(world, ns, svc)).toEqual([pod]);
  });

  /**
   * Breaks one Service's backend, checks the other Service never changes, checks what
   * `whileBroken` wants, then repairs and waits for recovery — the repair runs even when a check
   * failed, so the next drill starts healthy.
   */
  async function drill(opts: {
    readonly broken: "web" | "smtp";
    readonly untouched: "web" | "smtp";
    readonly breakIt: () => Promise<unknown>;
    readonly repair: () => Promise<unknown>;
    readonly whileBroken: (detectedMs: number) => Promise<void>;
  }): Promise<void> {
    const other = new EndpointRecorder(world, ns, opts.untouched);
    await other.start();
    const brokenAt = Date.now();
    let failure: Error | undefined;
    try {
      await opts.breakIt();
      await eventually(
        `${opts.broken} has no ready endpoint`,
        async () => {
          expect(await readyPods(world, ns, opts.broken)).toEqual([]);
        },
        60_000,
        200,
      );
      await opts.whileBroken(Date.now() - brokenAt);
      expect(await readyPods(world, ns, opts.untouched)).toEqual([pod]);
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    } finally {
      await opts.repair();
      await eventually(
        `${opts.broken} is ready again`,
        async () => {
          expect(await readyPods(world, ns, opts.broken)).toEqual([pod]);
        },
        60_000,
        200,
      );
      await other.stop();
    }
    if (failure) throw failure;
    expect(other.changesSince(brokenAt)).toEqual([]);
  }

  it("takes web out alone when /healthz answers 503, and back when it answers 200", async () => {
    await drill({
      broken: "web",
      untouched: "smtp",
      breakIt: () => vm.backend.setHealth("web", 503),
      repair: () => vm.backend.setHealth("web", 200),
      whileBroken: async detectedMs => {
        await recordMeasurement({
          name: "vm.webFailureDetectedMs",
          value: detectedMs,
          unit: "ms",
          description:
            "web: /healthz starts answering 503 -> its endpoint is not ready (periodSeconds 1, failureThreshold 3)",
        });
        const [row] = await serviceEndpoints(world, ns, "web");
        expect(row?.failures.join(" ")).toMatch(/HTTP:.*:8080.*503/);
        await eventually(
          "web's status says why",
          async () => {
            const swh = await getSwh(world, ns, "web");
            const ep = endpointStatusOf(swh, pod);
            expect(ep?.ready).toBe(false);
            expect(`${ep?.message ?? ""} ${(ep?.failedProbes ?? []).join(" ")}`).toMatch(/503/);
            expect(conditionOf(swh, "Ready")?.status).toBe("False");
          },
          30_000,
          500,
        );
      },
    });
  });

  it("takes smtp out alone when port 2525 closes, and back when it listens again", async () => {
    await drill({
      broken: "smtp",
      untouched: "web",
      breakIt: () => vm.backend.stopServer("smtp"),
      repair: () => vm.backend.startServer("smtp"),
      whileBroken: async () => {
        const [row] = await serviceEndpoints(world, ns, "smtp");
        expect(row?.failures.join(" ")).toContain(":2525");
        await eventually(
          "smtp's status names the refused connection",
          async () => {
            const ep = endpointStatusOf(await getSwh(world, ns, "smtp"), pod);
            expect(ep?.ready).toBe(false);
            expect(ep?.failedProbes?.join(" ") ?? "").toContain(":2525");
          },
          30_000,
          500,
        );
      },
    });
  });
});
