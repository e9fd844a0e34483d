// The `x-deckhouse-validations` CEL rules of a module's openapi schemas, evaluated the way the
// deckhouse-controller evaluates them (its `values/schema/cel` package), with a real CEL engine
// (@marcbachmann/cel-js). Without this the cluster in a box accepted settings Deckhouse refuses.
// What Deckhouse does, and so what this does:
// - rules are found by walking `properties` only, from the root down, for the keys the value
//   has; a rule sits on an object, array or scalar and sees it as `self` (map, list or dyn);
//   rules under `items`, `additionalProperties` or `allOf` are never evaluated (`unreachableRules`
//   lists them, so a test can refuse them);
// - values are JSON data: every number is a CEL double (Deckhouse converts values with
//   structpb), so `self.n * 2` fails ("no such overload") where `double(self.n) * 2.0` works;
// - an evaluation error that says "no such key" passes the rule; any other error, a rule that
//   does not compile or does not return a bool refuses the value, like a false rule;
// - a rule naming `oldSelf` is a transition rule, evaluated only with a previous value.
// Pure: schema + value (+ previous value) -> failures.
import { Environment } from "@marcbachmann/cel-js";

/** One `{expression, message}` entry of an `x-deckhouse-validations` list. */
export interface DeckhouseRule {
  readonly expression: string;
  readonly message: string;
}

/** The rules of one schema node and where that node is (property names from the root). */
export interface PlacedRules {
  readonly path: readonly string[];
  readonly rules: readonly DeckhouseRule[];
}

/** A rule that refused a value. */
export interface RuleFailure {
  /** Property names from the root to the object the rule sits on. */
  readonly path: readonly string[];
  readonly rule: DeckhouseRule;
  /** `violated`: the expression was false; `error`: it did not compile, failed or was not a bool. */
  readonly kind: "violated" | "error";
  /** What went wrong, for `error`. */
  readonly detail?: string;
}

/** The extension key (the same in Deckhouse and dmt). */
export const RULES_KEY = "x-deckhouse-validations";

type Node = Record<string, unknown>;

const isObject = (v: unknown): v is Node =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** The rules on one schema node; throws, as Deckhouse does, when the list is malformed. */
export function rulesOf(schema: unknown, where = "schema"): DeckhouseRule[] {
  if (!isObject(schema) || schema[RULES_KEY] === undefined) return [];
  const raw = schema[RULES_KEY];
  if (!Array.isArray(raw)) throw new Error(`${where}: ${RULES_KEY} must be a list`);
  return raw.map((entry: unknown, i) => {
    const e = isObject(entry) ? entry : {};
    const { expression, message } = e;
    if (typeof expression !== "string" || expression === "")
      throw new Error(`${where}: ${RULES_KEY}[${i}] has no expression`);
    if (typeof message !== "string" || message === "")
      throw new Error(`${where}: ${RULES_KEY}[${i}] has no message`);
    return { expression, message };
  });
}

const propertiesOf = (schema: unknown): [string, unknown][] =>
  isObject(schema) && isObject(schema.properties) ? Object.entries(schema.properties) : [];

/** Every rule Deckhouse can evaluate: on the root and on nodes reached through `properties`. */
export function placedRules(schema: unknown, path: readonly string[] = []): PlacedRules[] {
  const nested = propertiesOf(schema).flatMap(([name, sub]) => placedRules(sub, [...path, name]));
  const own = rulesOf(schema, path.join(".") || "root");
  return own.length > 0 ? [...nested, { path, rules: own }] : nested;
}

/** Every rule in a schema document, wherever it sits (JSON-pointer-like locations). */
function allRuleLocations(node: unknown, at: string, out: string[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => allRuleLocations(item, `${at}/${i}`, out));
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === RULES_KEY) out.push(at || "/");
    else allRuleLocations(value, `${at}/${key}`, out);
  }
}

/**
 * Locations of rules Deckhouse never evaluates (under `items`, `additionalProperties`, `allOf`,
 * `x-examples`...): the walk goes through `properties` only.
 */
export function unreachableRules(schema: unknown): string[] {
  const all: string[] = [];
  allRuleLocations(schema, "", all);
  const reachable = new Set(
    placedRules(schema).map(p => (p.path.length ? `/${p.path.join("/properties/")}` : "/")),
  );
  const pointer = (p: string): string => (p === "/" ? "/" : p.replace(/^\/properties\//, "/"));
  return all.filter(loc => !reachable.has(pointer(loc)));
}

/** The CEL type Deckhouse declares for a value: map(string, dyn), list(dyn) or dyn. */
function celType(value: unknown): string {
  if (Array.isArray(value)) return "list<dyn>";
  return isObject(value) ? "map<string, dyn>" : "dyn";
}

/** Identifiers an AST names (cel-js nodes: `{op, args}`, `id` nodes carry the name). */
function namesIdentifier(node: unknown, name: string): boolean {
  if (Array.isArray(node)) return node.some(n => namesIdentifier(n, name));
  if (!isObject(node)) return false;
  if (node.op === "id") return node.args === name;
  return "args" in node && namesIdentifier(node.args, name);
}

const describeCause = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";

type Outcome = { kind: "pass" } | { kind: "violated" } | { kind: "error"; detail: string };

/** Evaluates one rule with `self` (and `oldSelf` when there is a previous value). */
export function evaluateRule(rule: DeckhouseRule, self: unknown, oldSelf?: unknown): Outcome {
  const env = new Environment()
    .registerVariable("self", celType(self))
    .registerVariable("oldSelf", oldSelf === undefined ? "dyn" : celType(oldSelf));
  let program: ReturnType<Environment["parse"]>;
  try {
    program = env.parse(rule.expression);
  } catch (err) {
    return { kind: "error", detail: `does not compile: ${describeCause(err)}` };
  }
  const checked = program.check();
  if (!checked.valid)
    return { kind: "error", detail: `does not compile: ${describeCause(checked.error)}` };
  if (oldSelf === undefined && namesIdentifier(program.ast, "oldSelf")) return { kind: "pass" };
  let result: unknown;
  try {
    result = program({ self, oldSelf: oldSelf ?? null }) as unknown;
  } catch (err) {
    const detail = describeCause(err);
    return /no such key/i.test(detail) ? { kind: "pass" } : { kind: "error", detail };
  }
  if (typeof result !== "boolean")
    return { kind: "error", detail: "the rule does not return a bool" };
  return result ? { kind: "pass" } : { kind: "violated" };
}

/** The value as Deckhouse sees it: JSON data (no undefined, no class instances). */
const asJson = (value: unknown): unknown =>
  value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);

function walk(
  schema: unknown,
  at: { readonly value: unknown; readonly old: unknown; readonly path: readonly string[] },
  out: RuleFailure[],
): void {
  const { value, old, path } = at;
  if (isObject(value)) {
    for (const [name, sub] of propertiesOf(schema)) {
      if (!(name in value)) continue;
      const previous = isObject(old) ? old[name] : undefined;
      walk(sub, { value: value[name], old: previous, path: [...path, name] }, out);
    }
  }
  for (const rule of rulesOf(schema, path.join(".") || "root")) {
    const outcome = evaluateRule(rule, value, old);
    if (outcome.kind === "violated") out.push({ path, rule, kind: "violated" });
    else if (outcome.kind === "error")
      out.push({ path, rule, kind: "error", detail: outcome.detail });
  }
}

/**
 * Evaluates every `x-deckhouse-validations` rule of `schema` on `value` (see file header);
 * `oldValue` is the previous value, for transition rules. Returns the refusals, nested first.
 */
export function evaluateValidations(
  schema: unknown,
  value: unknown,
  oldValue?: unknown,
): RuleFailure[] {
  const out: RuleFailure[] = [];
  walk(schema, { value: asJson(value), old: asJson(oldValue), path: [] }, out);
  return out;
}

/** One line for a status message: `<root>.<path>: <message>` (or why the rule failed). */
export function describeFailure(failure: RuleFailure, root = "settings"): string {
  const where = [root, ...failure.path].join(".");
  if (failure.kind === "violated") return `${where}: ${failure.rule.message}`;
  return `${where}: the rule ${JSON.stringify(failure.rule.expression)} cannot be evaluated (${failure.detail ?? "error"}), so Deckhouse refuses the value too`;
}
