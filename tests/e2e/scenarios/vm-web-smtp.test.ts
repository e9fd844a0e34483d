// The seed's virtual-machine example end to end: one launcher pod (label vm=my-vm, a real pod on
// node-2) whose guest runs a web server on 8080 (/healthz) and an SMTP server on 2525, exposed as two
// ServiceWithHealthchecks `web` (HTTP probe) and `smtp` (TCP probe) applied from the seed
// verbatim. Each Service fails and recovers on its own while the other keeps its endpoint, which
// a plain Service (one readiness verdict per pod) cannot do. Then smtp's TCP probe gets the SMTP
// conversation of docs/EXAMPLES.md (probes[].tcp.conversation, issue #12 item 2: expect 220, EHLO,
// expect 250, QUIT) and the SMTP server is wedged (it keeps accepting connections and never
// greets: a plain TCP probe would still pass) and set to refuse (it greets 554): each time smtp's
// endpoint becomes not ready with a reason naming the failing step, web never changes, and smtp
// is ready again once the server greets.
import { jest } from "@jest/globals";
import type { TCPConversationStep } from "../../../api/v1alpha1.js";
import type { SmtpMode } from "../../cluster/backends/smtp.js";
import { readyPods, serviceEndpoints } from "../../cluster/scenario/endpoints.js";
import {
  applyManifest,
  createNamespace,
  deleteNamespace,
  type Manifest,
} from "../../cluster/scenario/objects.js";
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

/** The SMTP conversation of docs/EXAMPLES.md. */
const CONVERSATION: TCPConversationStep[] = [
  { expect: { prefix: "220" } },
  { send: "EHLO swh-probe" },
  { expect: { prefix: "250" } },
  { send: "QUIT" },
];

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
  /** The seed's smtp probes with the conversation added to its one TCP probe. */
  function probesWithConversation(): unknown[] {
    const seed = seedIn("smtp", ns) as Manifest & {
      spec: { healthcheck: { probes: Array<{ tcp: { conversation?: TCPConversationStep[] } }> } };
    };
    const probes = structuredClone(seed.spec.healthcheck.probes);
    const [probe] = probes;
    if (probe === undefined) throw new Error("the seed's smtp manifest has no probe");
    probe.tcp.conversation = CONVERSATION;
    return probes;
  }

  /** smtp's slice row reasons, status message and failed probes, joined. */
  async function smtpReasons(): Promise<string> {
    const [row] = await serviceEndpoints(world, ns, "smtp");
    const ep = endpointStatusOf(await getSwh(world, ns, "smtp"), pod);
    return [...(row?.failures ?? []), ep?.message ?? "", ...(ep?.failedProbes ?? [])].join(" | ");
  }

  /** Sets the SMTP server to `mode`; smtp must leave with `reason`, web stay, smtp come back. */
  function smtpDrill(mode: SmtpMode, reason: RegExp, record?: string): Promise<void> {
    return drill({
      broken: "smtp",
      untouched: "web",
      breakIt: () => vm.backend.setSmtpMode("smtp", mode),
      repair: () => vm.backend.setSmtpMode("smtp", "ready"),
      whileBroken: async detectedMs => {
        if (record) {
          await recordMeasurement({
            name: record,
            value: detectedMs,
            unit: "ms",
            description: `smtp with the SMTP conversation: the server turns ${mode} (port still open) -> its endpoint is not ready (periodSeconds 1, failureThreshold 3)`,
          });
        }
        await eventually(
          "smtp's slice and status name the failing step",
          async () => {
            expect(endpointStatusOf(await getSwh(world, ns, "smtp"), pod)?.ready).toBe(false);
            expect(await smtpReasons()).toMatch(reason);
          },
          30_000,
          500,
        );
      },
    });
  }

  it("keeps an SMTP conversation added to smtp's probe as applied, the VM pod still in smtp", async () => {
    await mergePatch(world.rest, swhPath(ns, "smtp"), {
      spec: { healthcheck: { probes: probesWithConversation() } },
    });
    const swh = await getSwh(world, ns, "smtp");
    expect(swh?.spec.healthcheck?.probes?.[0]?.tcp?.conversation).toEqual(CONVERSATION);
    await eventually(
      "smtp has the VM pod ready by its conversation",
      async () => expect(await readyPods(world, ns, "smtp")).toEqual([pod]),
      30_000,
      200,
    );
  });

  it("takes smtp out alone when the server accepts and never greets, and back", async () => {
    await smtpDrill(
      "wedged",
      /conversation\[0\] expect prefix "220": timeout after 1000 ms, received nothing/,
      "smtpConversation.wedgedDetectedMs",
    );
  });

  it("takes smtp out alone when the server greets 554, naming what it said", async () => {
    await smtpDrill("refusing", /conversation\[0\] expect prefix "220": received "554 /);
  });
});
