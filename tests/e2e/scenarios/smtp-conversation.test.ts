// TCP conversations end to end (probes[].tcp.conversation, issue #12 item 2) on the seed's
// virtual machine: one launcher pod (label vm=my-vm, a real pod on node-2) running a web server on
// 8080 and an SMTP-like server on 2525. `web` is the seed's manifest as written; `smtp` is the
// seed's manifest with the SMTP conversation of docs/EXAMPLES.md added (expect 220, EHLO, expect
// 250, QUIT). The SMTP server is then wedged (it keeps accepting connections and never greets: a
// plain TCP probe would still pass) and set to refuse (it greets 554): each time smtp's endpoint
// becomes not ready with a reason naming the failing step, web never changes, and smtp is ready
// again once the server greets.
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
import { recordMeasurement } from "../../cluster/scenario/report.js";
import { endpointStatusOf, getSwh, seedIn } from "../../cluster/scenario/swh.js";
import { startVmWorkload, VM_POD, type RunningPod } from "../../cluster/scenario/workloads.js";
import type { World } from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(300_000);

/** The SMTP conversation of docs/EXAMPLES.md. */
const CONVERSATION: TCPConversationStep[] = [
  { expect: { prefix: "220" } },
  { send: "EHLO swh-probe" },
  { expect: { prefix: "250" } },
  { send: "QUIT" },
];

/** The seed's smtp manifest in `ns` with the conversation added to its one TCP probe. */
function smtpWithConversation(ns: string): Manifest {
  const manifest = structuredClone(seedIn("smtp", ns)) as Manifest & {
    spec: { healthcheck: { probes: Array<{ tcp: { conversation?: TCPConversationStep[] } }> } };
  };
  const [probe] = manifest.spec.healthcheck.probes;
  if (probe === undefined) throw new Error("the seed's smtp manifest has no probe");
  probe.tcp.conversation = CONVERSATION;
  return manifest;
}

let world: World;
let ns: string;
let vm: RunningPod;
const pod = VM_POD;

beforeAll(async () => {
  ({ world } = await scenarioWorld());
  ns = await createNamespace(world, "swh-smtp-talk");
  vm = await startVmWorkload(world, ns);
  await applyManifest(world, seedIn("web", ns));
  await applyManifest(world, smtpWithConversation(ns));
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (ns) await deleteNamespace(world, ns);
  await releaseScenarioWorld();
});

/** The endpoint rows' reasons and the status's message and failed probes of smtp, joined. */
async function smtpReasons(): Promise<string> {
  const [row] = await serviceEndpoints(world, ns, "smtp");
  const ep = endpointStatusOf(await getSwh(world, ns, "smtp"), pod);
  return [...(row?.failures ?? []), ep?.message ?? "", ...(ep?.failedProbes ?? [])].join(" | ");
}

/**
 * Sets the SMTP server to `mode`, waits until smtp has no ready endpoint and its reasons match
 * `reason`, sets it back to ready and waits for smtp to be ready again; web's endpoints are
 * recorded all along and must not change. The repair runs even when a check failed.
 */
async function drill(mode: SmtpMode, reason: RegExp): Promise<number> {
  const web = new EndpointRecorder(world, ns, "web");
  await web.start();
  const brokenAt = Date.now();
  let detectedMs = -1;
  let failure: Error | undefined;
  try {
    await vm.backend.setSmtpMode("smtp", mode);
    await eventually(
      "smtp has no ready endpoint",
      async () => expect(await readyPods(world, ns, "smtp")).toEqual([]),
      90_000,
      200,
    );
    detectedMs = Date.now() - brokenAt;
    await eventually(
      "smtp's slice and status name the failing step",
      async () => {
        expect(endpointStatusOf(await getSwh(world, ns, "smtp"), pod)?.ready).toBe(false);
        expect(await smtpReasons()).toMatch(reason);
      },
      30_000,
      500,
    );
    expect(await readyPods(world, ns, "web")).toEqual([pod]);
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
  } finally {
    await vm.backend.setSmtpMode("smtp", "ready");
    await eventually(
      "smtp is ready again",
      async () => expect(await readyPods(world, ns, "smtp")).toEqual([pod]),
      60_000,
      200,
    );
    await web.stop();
  }
  if (failure) throw failure;
  expect(web.changesSince(brokenAt)).toEqual([]);
  return detectedMs;
}

describe("an SMTP conversation on the seed's smtp Service, web beside it untouched", () => {
  it("keeps the conversation as applied and publishes the VM pod in both Services", async () => {
    const swh = await getSwh(world, ns, "smtp");
    expect(swh?.spec.healthcheck?.probes?.[0]?.tcp?.conversation).toEqual(CONVERSATION);
    for (const svc of ["web", "smtp"]) {
      await eventually(
        `${svc} has the VM pod ready`,
        async () => expect(await readyPods(world, ns, svc)).toEqual([pod]),
        90_000,
        500,
      );
    }
  });

  it("takes smtp out alone when the server accepts and never greets, and back", async () => {
    const detectedMs = await drill(
      "wedged",
      /conversation\[0\] expect prefix "220": timeout after 1000 ms, received nothing/,
    );
    await recordMeasurement({
      name: "smtpConversation.wedgedDetectedMs",
      value: detectedMs,
      unit: "ms",
      description:
        "smtp: the server stops greeting (port still open) -> its endpoint is not ready (seed defaults: periodSeconds 10, failureThreshold 3)",
    });
  });

  it("takes smtp out alone when the server greets 554, naming what it said", async () => {
    await drill("refusing", /conversation\[0\] expect prefix "220": received "554 /);
  });
});
