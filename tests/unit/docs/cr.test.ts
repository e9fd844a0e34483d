// CR.md and CR_RU.md describe the ServiceWithHealthchecks resource by hand: this keeps them equal
// to what is built. Every field of spec.healthcheck has a row with its schema type, default and
// allowed values; every Service field of the spec, every status field, printer column, condition
// type and reason (the CRD's and the status hook's) is named; the PostgreSQL credentials keys and
// TLS modes are the agent's; the words the page says count as "true" are the ones the agent
// accepts.
import {
  loadCrd,
  openApiSchema,
  walkSchema,
  type StructuralSchema,
} from "../../support/crd-schema.js";
import {
  CONDITION_CHILD_SERVICE_READY,
  CONDITION_FAIL_OPEN,
  CONDITION_READY,
  REASON,
} from "../../../api/v1alpha1.js";
import { DEFAULT_TLS_MODE, TLS_MODES } from "../../../images/agent/src/desired/credentials.js";
import { isTrueValue } from "../../../images/agent/src/probes/postgres-result.js";
import { codeSpans, readDoc, rowFor, tableRows } from "./markdown.js";
import { defaultCell } from "./settings.js";

const crd = loadCrd();
const schema = openApiSchema(crd);
const specSchema = schema.properties?.spec as StructuralSchema;
const statusSchema = schema.properties?.status as StructuralSchema;
const healthcheckSchema = specSchema.properties?.healthcheck as StructuralSchema;

/**
 * Field paths under `node`, without the leading dot, skipping list items and map values
 * themselves (`x[]`, `x{}`): they are described with their list or map.
 */
function fieldPaths(node: StructuralSchema): Array<[string, StructuralSchema]> {
  const out: Array<[string, StructuralSchema]> = [];
  walkSchema(node, (child, path) => {
    if (path !== "" && !/(\[\]|\{\})$/.test(path)) out.push([path.slice(1), child]);
  });
  return out;
}

const healthcheckFields = fieldPaths(healthcheckSchema);
/** Service fields: the spec's own fields and those of its ports, as Service users know them. */
const serviceFields = fieldPaths(specSchema)
  .map(([path]) => path)
  .filter(path => !path.startsWith("healthcheck"))
  .filter(path => !path.includes(".") || path.startsWith("ports[]."));
/** Status fields down to one level inside (`endpointStatuses[].message`, `healthcheckCondition.endpoints`). */
const statusFields = fieldPaths(statusSchema)
  .map(([path]) => path)
  .filter(path => path.split(".").length <= 2);
const printerColumns = (crd.spec.versions[0]?.additionalPrinterColumns ?? []).map(c => c.name);
const conditionTypes = [CONDITION_READY, CONDITION_CHILD_SERVICE_READY, CONDITION_FAIL_OPEN];
/** Reasons of the FailOpen condition only (NoEndpoints is Ready's too: its first row is Ready's). */
const failOpenReasons: ReadonlySet<string> = new Set([
  REASON.tooFewPassing,
  REASON.passingAgain,
  REASON.enoughPassing,
  REASON.awaitingProbeResults,
]);
const reasons = Object.values(REASON);
/** Condition reasons the CRD's own description names (the status hook must not drift from it). */
const crdReasons = [
  ...(statusSchema.properties?.conditions?.description ?? "").matchAll(/`([A-Z][A-Za-z]+)`/g),
]
  .map(m => m[1] ?? "")
  .filter(word => !conditionTypes.includes(word));
/** Candidate words of a boolean-ish first column. */
const TRUTH_CANDIDATES = ["t", "true", "y", "yes", "on", "1", "f", "false", "n", "no", "off", "0"];
const SECRET_KEYS = ["user", "password", "tlsMode", "caCert", "clientCert", "clientKey"];

/** The JSON Schema type as the pages write it, or undefined for int-or-string fields. */
function typeCell(node: StructuralSchema): string | undefined {
  return node.type === undefined ? undefined : `\`${node.type}\``;
}

describe("the CRD", () => {
  it("has healthcheck fields, status fields, columns and reasons to document", () => {
    expect(healthcheckFields.length).toBeGreaterThan(20);
    expect(statusFields.length).toBeGreaterThan(20);
    expect(printerColumns).toContain("Ready");
    expect(crdReasons.length).toBeGreaterThanOrEqual(8);
  });
});

describe.each(["CR.md", "CR_RU.md"])("%s", page => {
  const text = readDoc(page);
  const rows = tableRows(text);
  const spans = new Set(codeSpans(text));

  it.each(healthcheckFields)("documents spec.healthcheck %s", (path, node) => {
    const row = rowFor(rows, path);
    expect([path, row?.length]).toEqual([path, 4]);
    const type = typeCell(node);
    if (type !== undefined) expect([path, row?.[1]]).toEqual([path, type]);
    if (node.default !== undefined) {
      expect([path, row?.[2]]).toEqual([path, defaultCell(node.default)]);
    }
    for (const value of node.enum ?? []) expect(row?.[3]).toContain(`\`${String(value)}\``);
  });

  it.each(serviceFields)("names the Service field %s", path => {
    expect([path, rowFor(rows, path) !== undefined]).toEqual([path, true]);
  });

  it.each(statusFields)("documents status.%s", path => {
    expect([path, rowFor(rows, path) !== undefined]).toEqual([path, true]);
  });

  it.each(printerColumns)("names the printer column %s", column => {
    expect([column, rowFor(rows, column) !== undefined]).toEqual([column, true]);
  });

  it.each([...new Set([...reasons, ...crdReasons, ...conditionTypes])])(
    "explains the condition type or reason %s",
    name => {
      expect([name, spans.has(name)]).toEqual([name, true]);
    },
  );

  it("lists every reason with its condition type in the conditions table", () => {
    for (const reason of reasons) {
      const type = reason.startsWith("ChildService")
        ? CONDITION_CHILD_SERVICE_READY
        : failOpenReasons.has(reason)
          ? CONDITION_FAIL_OPEN
          : CONDITION_READY;
      const row = rows.find(cells => cells[2] === `\`${reason}\``);
      expect([reason, row?.[0]]).toEqual([reason, `\`${type}\``]);
    }
  });

  it("documents the credentials Secret keys and every TLS mode, with the default", () => {
    for (const key of SECRET_KEYS)
      expect([key, rowFor(rows, key) !== undefined]).toEqual([key, true]);
    for (const mode of TLS_MODES)
      expect([mode, rowFor(rows, mode) !== undefined]).toEqual([mode, true]);
    expect(rowFor(rows, "tlsMode")?.[1]).toContain(`\`${DEFAULT_TLS_MODE}\``);
    expect(rowFor(rows, DEFAULT_TLS_MODE)?.join(" ")).toMatch(/default|по умолчанию/i);
  });

  it("says exactly which first-column values count as true", () => {
    const sentence = text.split("\n").find(line => /`t`, `true`/.test(line)) ?? "";
    for (const word of TRUTH_CANDIDATES) {
      const listed = sentence.includes(`\`${word}\``);
      expect([word, listed]).toEqual([word, isTrueValue(word)]);
    }
    expect(isTrueValue(true) && isTrueValue(1)).toBe(true);
    expect(sentence).toMatch(/`true`.*`1`/);
  });
});
