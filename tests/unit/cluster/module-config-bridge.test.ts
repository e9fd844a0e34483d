// Tests for what the cluster in a box's ModuleConfig bridge decides (the deckhouse-controller's
// part): settings that break an `x-deckhouse-validations` rule or the OpenAPI schema are refused
// with the reasons in `status.message` and no ConfigMap data (the previous settings stay in
// force); accepted settings go to the operator ConfigMap as written. Also the validators the
// operator stand-in uses: values (defaults filled) face the same rules.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { MODULE_NAME } from "../../../api/contract.js";
import { decide, type ModuleConfigObject } from "../../cluster/deckhouse/module-config-bridge.js";
import { compileModuleSchemas } from "../../cluster/module/settings.js";

const openapi = (file: string): Record<string, unknown> =>
  parse(readFileSync(new URL(`../../../openapi/${file}`, import.meta.url), "utf8")) as Record<
    string,
    unknown
  >;
const moduleSchemas = compileModuleSchemas(openapi("config-values.yaml"), openapi("values.yaml"));
const HEARTBEAT_RULE =
  "heartbeat.renewIntervalSeconds must be at most half of heartbeat.leaseDurationSeconds";

const mc = (settings: Record<string, unknown>, enabled = true): ModuleConfigObject => ({
  metadata: { name: MODULE_NAME, generation: 2 },
  spec: { enabled, version: 1, settings },
});

describe("the bridge's decision for the module's own schema", () => {
  it("refuses a Lease renewed less than twice per duration, with the rule's message", () => {
    const decision = decide(
      mc({ heartbeat: { leaseDurationSeconds: 8, renewIntervalSeconds: 5 } }),
      MODULE_NAME,
      moduleSchemas,
    );
    expect(decision.data).toBeUndefined();
    expect(decision.message).toBe(
      "Error: settings are invalid, the module keeps its previous settings: " +
        `settings.heartbeat: ${HEARTBEAT_RULE}, so that one missed renewal does not fence a live agent`,
    );
  });

  it.each([
    [
      { heartbeat: { leaseDurationSeconds: 8 } },
      "the default renewal (10 s) against a short Lease",
    ],
    [
      { heartbeat: { renewIntervalSeconds: 21 } },
      "a long renewal against the default Lease (40 s)",
    ],
  ])("applies the rule to the defaults a setting leaves out: %j (%s)", (settings, _why) => {
    const decision = decide(mc(settings), MODULE_NAME, moduleSchemas);
    expect(decision.data).toBeUndefined();
    expect(decision.message).toContain(HEARTBEAT_RULE);
  });

  it("accepts settings within the rule and writes them as written (no defaults added)", () => {
    const settings = { heartbeat: { leaseDurationSeconds: 8, renewIntervalSeconds: 4 } };
    const decision = decide(mc(settings), MODULE_NAME, moduleSchemas);
    expect(decision).toEqual({
      data: {
        serviceWithHealthchecksEnabled: "true",
        serviceWithHealthchecks:
          "heartbeat:\n  leaseDurationSeconds: 8\n  renewIntervalSeconds: 4\n",
      },
      message: "",
    });
  });

  it("reports the rule and the schema errors together", () => {
    const decision = decide(
      mc({ logLevel: "Verbose", heartbeat: { leaseDurationSeconds: 8, renewIntervalSeconds: 5 } }),
      MODULE_NAME,
      moduleSchemas,
    );
    expect(decision.data).toBeUndefined();
    expect(decision.message).toContain(HEARTBEAT_RULE);
    expect(decision.message).toContain(
      "settings.logLevel must be equal to one of the allowed values",
    );
  });

  it("turns the module off without a ModuleConfig", () => {
    expect(decide(undefined, MODULE_NAME, moduleSchemas)).toEqual({
      data: { serviceWithHealthchecksEnabled: "false", serviceWithHealthchecks: "{}\n" },
      message: "",
    });
  });

  it("the values the hooks see (defaults filled, internal added) face the same rule", () => {
    const values = {
      heartbeat: { leaseDurationSeconds: 8, renewIntervalSeconds: 5 },
      internal: {},
    };
    expect(moduleSchemas.validateValues(values)).toEqual([
      expect.stringContaining(`settings.heartbeat: ${HEARTBEAT_RULE}`),
    ]);
    const fine = { heartbeat: { leaseDurationSeconds: 8, renewIntervalSeconds: 4 }, internal: {} };
    expect(moduleSchemas.validateValues(fine)).toEqual([]);
  });
});

describe("the bridge's decision for any schema's rules (schema + settings -> errors)", () => {
  const schemas = compileModuleSchemas({
    type: "object",
    properties: {
      replicas: {
        type: "object",
        "x-deckhouse-validations": [
          { expression: "self.min <= self.max", message: "replicas.min must not exceed max" },
        ],
        properties: { min: { type: "integer" }, max: { type: "integer" } },
      },
      mode: {
        type: "string",
        "x-deckhouse-validations": [
          { expression: "self != 'Legacy'", message: "mode Legacy is gone" },
        ],
      },
    },
  });

  it.each([
    [{ replicas: { min: 3, max: 2 } }, ["settings.replicas: replicas.min must not exceed max"]],
    [{ mode: "Legacy" }, ["settings.mode: mode Legacy is gone"]],
    [
      { mode: "Legacy", replicas: { min: 3, max: 2 } },
      ["settings.replicas: replicas.min must not exceed max", "settings.mode: mode Legacy is gone"],
    ],
    [{ replicas: { min: 1, max: 2 }, mode: "Fast" }, []],
    [{}, []],
  ])("%j -> %j", (settings, errors) => {
    expect(schemas.validateSettings(structuredClone(settings))).toEqual(errors);
    const decision = decide(mc(settings), MODULE_NAME, schemas);
    expect(decision.data === undefined).toBe(errors.length > 0);
    for (const error of errors) expect(decision.message).toContain(error);
  });

  it("a disabled module's settings are still validated", () => {
    const decision = decide(mc({ mode: "Legacy" }, false), MODULE_NAME, schemas);
    expect(decision.data).toBeUndefined();
    expect(decision.message).toContain("mode Legacy is gone");
  });
});
