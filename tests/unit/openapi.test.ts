// The module's settings schema (openapi/config-values.yaml) is what validates a ModuleConfig's
// spec.settings: its examples must pass, typical mistakes must fail, and the Russian twin must
// describe only settings that exist.
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { parse } from "yaml";

const read = (file: string): any =>
  parse(readFileSync(new URL(`../../openapi/${file}`, import.meta.url), "utf8"));
const schema = read("config-values.yaml");
const ru = read("doc-ru-config-values.yaml");

/** Deckhouse treats `additionalProperties` as false unless set; mirror that for ajv. */
function closeObjects(node: any): any {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (node === null || typeof node !== "object") return node;
  const out: any = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "x-examples") continue;
    out[key] =
      key === "properties"
        ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, closeObjects(v)]))
        : closeObjects(value);
  }
  if (out.type === "object" && out.properties && out.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}

const ajv = new Ajv({
  strict: false,
  useDefaults: true,
  allErrors: true,
  formats: { int64: true },
});
const validate = ajv.compile(closeObjects(schema));

describe("openapi/config-values.yaml", () => {
  const examples: Array<[number, unknown]> = schema["x-examples"].map((e: unknown, i: number) => [
    i,
    e,
  ]);
  it.each(examples)("accepts x-examples[%i]", (_i, example) => {
    expect(validate(structuredClone(example))).toBe(true);
  });

  it.each(["50m", "0.5", "2", "64Mi", "1Gi", "128974848", "129e6", "123M", ".5"])(
    "accepts the quantity %s in agent resources",
    quantity => {
      const settings = { agent: { resources: { requests: { cpu: quantity, memory: quantity } } } };
      expect(validate(settings)).toBe(true);
    },
  );

  it("fills defaults for an empty settings object", () => {
    const settings: any = {};
    expect(validate(settings)).toBe(true);
    expect(settings).toMatchObject({
      logLevel: "Info",
      debug: false,
      verboseStatus: false,
      agent: { maxConcurrentProbes: 1000, resources: { requests: { cpu: "50m", memory: "64Mi" } } },
      heartbeat: { leaseDurationSeconds: 40, renewIntervalSeconds: 10 },
    });
  });

  it.each([
    // a string where a boolean belongs (the Go module's own case tests)
    [{ debug: "bbb" }, "/debug"],
    [{ verboseStatus: "yes" }, "/verboseStatus"],
    // an unknown log level
    [{ logLevel: "Verbose" }, "/logLevel"],
    // a lease too short to survive one missed renewal
    [{ heartbeat: { leaseDurationSeconds: 1 } }, "/heartbeat/leaseDurationSeconds"],
    // a typo in a setting name is an error, not silently ignored
    [{ agnet: {} }, "additionalProperties"],
    // resources must be Kubernetes quantities, or the DaemonSet would be refused at apply time
    [{ agent: { resources: { requests: { cpu: "lots" } } } }, "/agent/resources/requests/cpu"],
    [{ agent: { resources: { limits: { memory: "256 MB" } } } }, "/agent/resources/limits/memory"],
  ])("rejects %j", (settings, where) => {
    expect(validate(settings)).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain(where);
  });

  it("has a Russian description for every setting, and none for settings that do not exist", () => {
    const paths = (node: any, prefix = ""): string[] =>
      Object.entries(node.properties ?? {}).flatMap(([k, v]: [string, any]) => [
        `${prefix}${k}`,
        ...paths(v, `${prefix}${k}.`),
      ]);
    const described = (node: any, prefix = ""): string[] =>
      Object.entries(node.properties ?? {}).flatMap(([k, v]: [string, any]) => [
        `${prefix}${k}`,
        ...described(v, `${prefix}${k}.`),
      ]);
    const en = new Set(paths(schema));
    for (const p of described(ru)) expect(en.has(p)).toBe(true);
    for (const key of Object.keys(schema.properties))
      expect(ru.properties[key]?.description).toBeTruthy();
  });
});
