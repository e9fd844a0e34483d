// Settings that cannot work, and getting out of them, the way a Deckhouse cluster behaves, with
// the real addon-operator:
// - settings that break the module's `x-deckhouse-validations` rule (a Lease renewed less than
//   twice per duration) are refused by the ModuleConfig bridge with the rule's own message; the
//   operator keeps the settings in force and its queue stays healthy;
// - settings the schema accepts but the API server refuses (a `nodeSelector` key with a space:
//   OpenAPI cannot constrain map keys, so no schema rule catches it) fail the release, which the
//   operator retries at the head of its main queue (`addon-operator queue list` shows the error);
//   they are still in force when the operator restarts, and once the ModuleConfig is fixed the
//   next retry applies the fixed settings — no restart needed.
// Puts the e2e settings back and leaves a running operator recorded in world.json.
import { jest } from "@jest/globals";
import { MODULE_NAME } from "../../../api/contract.js";
import { getOrUndefined } from "../../cluster/kube.js";
import { moduleConfigStatus } from "../../cluster/scenario/agent-behaviour.js";
import { daemonSetPods, requireAgentDaemonSet } from "../../cluster/scenario/agent-daemonset.js";
import {
  releaseScenarioWorld,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { recordMeasurement } from "../../cluster/scenario/report.js";
import type { OperatorRecord } from "../../cluster/state.js";
import { OPERATOR_CONFIG_MAP, OPERATOR_NAMESPACE } from "../../cluster/world/operator.js";
import {
  moduleConverged,
  operatorView,
  type OperatorView,
} from "../../cluster/world/operator-view.js";
import {
  applyModuleConfig,
  E2E_SETTINGS,
  openWorld,
  restartOperator,
  type World,
} from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(600_000);

/** Passes the OpenAPI ranges, breaks the rule: renewal 5 s against an 8 s Lease. */
const RULE_BREAKING = {
  ...E2E_SETTINGS,
  heartbeat: { leaseDurationSeconds: 8, renewIntervalSeconds: 5 },
};
const RULE_MESSAGE =
  "settings.heartbeat: heartbeat.renewIntervalSeconds must be at most half of heartbeat.leaseDurationSeconds";
/**
 * Passes the schema (any string map; OpenAPI cannot constrain map keys), refused by the API
 * server in the agent DaemonSet: a label key with a space is not a valid nodeSelector key.
 */
const INVALID_NODE_SELECTOR = {
  ...E2E_SETTINGS,
  agent: { nodeSelector: { "node role": "edge" } },
};
const CM_PATH = `/api/v1/namespaces/${OPERATOR_NAMESPACE}/configmaps/${OPERATOR_CONFIG_MAP}`;
/** addon-operator's error for the release, as its queue shows it (helm's own words). */
const RELEASE_FAILURE = /helm upgrade failed: .*DaemonSet.apps "agent" is invalid/s;

let world: World;

async function currentOperator(): Promise<OperatorRecord> {
  const { state } = await openWorld(world.layout.stateDir);
  if (!state.operator) throw new Error("world.json records no operator");
  return state.operator;
}

async function operatorData(): Promise<Record<string, string> | undefined> {
  return (await getOrUndefined<{ data?: Record<string, string> }>(world.rest, CM_PATH))?.data;
}

/** Waits until the operator ran the module to the end with nothing failing. */
function converged(record: OperatorRecord, timeoutMs = 120_000): Promise<OperatorView> {
  return eventually(
    "the operator converged",
    async () => {
      const view = await operatorView(record);
      // Compared whole, so that a failure shows what the operator is stuck on.
      expect({ converged: moduleConverged(view, MODULE_NAME), view }).toEqual({
        converged: true,
        view: expect.anything(),
      });
      return view;
    },
    timeoutMs,
    250,
  );
}

beforeAll(async () => {
  ({ world } = await scenarioWorld());
  await converged(await currentOperator());
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (world) {
    await applyModuleConfig(world, E2E_SETTINGS);
    await converged(await currentOperator()).catch((err: unknown) => {
      process.stderr.write(`restoring the e2e settings failed: ${String(err)}\n`);
    });
  }
  await releaseScenarioWorld();
});

describe("settings that break an x-deckhouse-validations rule", () => {
  it("are refused by the bridge with the rule's message; the operator keeps running", async () => {
    const operator = await currentOperator();
    const dataBefore = await operatorData();
    await applyModuleConfig(world, RULE_BREAKING);
    const { message } = await eventually("the ModuleConfig status gives the rule", async () => {
      const status = await moduleConfigStatus(world);
      expect(status.message).toContain(RULE_MESSAGE);
      return status;
    });
    process.stdout.write(`refused by the rule: ${message}\n`);
    // A few resync periods: the settings in force stay, and nothing fails in the operator.
    await new Promise(resolve => setTimeout(resolve, 3_000));
    expect(await operatorData()).toEqual(dataBefore);
    await converged(operator, 10_000);
  });
});

describe("settings the API server refuses, in force when the operator starts", () => {
  it("fail the release, which is retried with the fixed settings without a restart", async () => {
    const before = await requireAgentDaemonSet(world.rest);
    const podsBefore = (await daemonSetPods(world.rest)).map(p => p.uid);
    await applyModuleConfig(world, INVALID_NODE_SELECTOR);
    await eventually("the bridge accepted the settings", async () => {
      expect((await moduleConfigStatus(world)).message).toBe("");
      expect((await operatorData())?.serviceWithHealthchecks).toContain("node role: edge");
    });
    await eventually(
      "the running operator's release fails",
      async () =>
        expect((await operatorView(await currentOperator())).lastError).toMatch(RELEASE_FAILURE),
      60_000,
      250,
    );

    const restarted = await restartOperator(world);
    const failing = await eventually(
      "the restarted operator's release fails with the settings in force",
      async () => {
        const view = await operatorView(restarted);
        expect(moduleConverged(view, MODULE_NAME)).toBe(false);
        expect(view.lastError).toMatch(RELEASE_FAILURE);
        return view;
      },
      120_000,
      250,
    );
    process.stdout.write(`after the restart: ${failing.lastError ?? ""}\n`);

    const fixedAt = Date.now();
    await applyModuleConfig(world, E2E_SETTINGS);
    const done = await converged(restarted, 120_000);
    const fixMs = Date.now() - fixedAt;
    expect(done.mainQueue.filter(t => t.startsWith("ModuleRun"))).toEqual([]);
    expect((await currentOperator()).pid).toBe(restarted.pid);
    // The bad settings never reached the DaemonSet, the fixed ones are what it had before, and
    // the agent pods were never replaced.
    const after = await requireAgentDaemonSet(world.rest);
    expect(after.template).toEqual(before.template);
    expect((await daemonSetPods(world.rest)).map(p => p.uid)).toEqual(podsBefore);
    await recordMeasurement({
      name: "settings.fixAfterFailedStartMs",
      value: fixMs,
      unit: "ms",
      description:
        "ModuleConfig fixed while the restarted operator's release kept failing -> operator converged (next backoff retry)",
    });
  });
});
