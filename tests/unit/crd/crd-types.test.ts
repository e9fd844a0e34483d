// api/v1alpha1.ts is the TypeScript shape of the CRD that hooks and agent code against; the
// API server enforces the CRD. This test reads both and fails when they drift: a field in one and
// not the other, a field required in one and optional in the other, a different enum or type.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { openApiSchema, type StructuralSchema } from "../../support/crd-schema.js";

const file = fileURLToPath(new URL("../../../api/v1alpha1.ts", import.meta.url));
const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);

/** Interfaces and type aliases of api/v1alpha1.ts by name. */
const declarations = new Map<string, ts.InterfaceDeclaration | ts.TypeAliasDeclaration>();
source.forEachChild(node => {
  if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) {
    declarations.set(node.name.text, node);
  }
});

/** Fields the CRD declares on purpose without a TypeScript counterpart. */
const CRD_ONLY = new Set([
  // Declared only to reject it with a message (an SWH cannot be ExternalName).
  ".spec.externalName",
]);

/** Follows type references and aliases to the type that describes the value. */
function resolve(type: ts.TypeNode): ts.TypeNode | ts.InterfaceDeclaration {
  if (ts.isParenthesizedTypeNode(type)) return resolve(type.type);
  if (ts.isTypeOperatorNode(type)) return resolve(type.type);
  if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)) {
    const declared = declarations.get(type.typeName.text);
    if (declared && ts.isInterfaceDeclaration(declared)) return declared;
    if (declared) return resolve(declared.type);
  }
  return type;
}

function members(type: ts.TypeNode): Map<string, ts.PropertySignature> {
  const resolved = resolve(type);
  const list =
    ts.isInterfaceDeclaration(resolved) || ts.isTypeLiteralNode(resolved) ? resolved.members : [];
  const out = new Map<string, ts.PropertySignature>();
  for (const member of list) {
    if (ts.isPropertySignature(member) && member.type) out.set(member.name.getText(source), member);
  }
  return out;
}

/** The element type of `T[]`, `readonly T[]` or `Array<T>`. */
function elementType(type: ts.TypeNode): ts.TypeNode | undefined {
  const resolved = resolve(type);
  if (ts.isInterfaceDeclaration(resolved)) return undefined;
  if (ts.isArrayTypeNode(resolved)) return resolved.elementType;
  if (ts.isTypeReferenceNode(resolved) && resolved.typeName.getText(source) === "Array") {
    return resolved.typeArguments?.[0];
  }
  return undefined;
}

/** Primitive kinds of a leaf type ("number", "string", "boolean") and its string literals. */
function leaf(type: ts.TypeNode): { kinds: Set<string>; literals: Set<string> } {
  const resolved = resolve(type);
  const parts = ts.isUnionTypeNode(resolved) ? resolved.types.map(resolve) : [resolved];
  const kinds = new Set<string>();
  const literals = new Set<string>();
  for (const part of parts) {
    if (part.kind === ts.SyntaxKind.NumberKeyword) kinds.add("number");
    else if (part.kind === ts.SyntaxKind.StringKeyword) kinds.add("string");
    else if (part.kind === ts.SyntaxKind.BooleanKeyword) kinds.add("boolean");
    else if (ts.isLiteralTypeNode(part) && ts.isStringLiteral(part.literal)) {
      kinds.add("string");
      literals.add(part.literal.text);
    }
  }
  return { kinds, literals };
}

/** The value type of `Record<string, T>`, undefined for any other type. */
function recordValue(type: ts.TypeNode): ts.TypeNode | undefined {
  const resolved = resolve(type);
  if (!ts.isTypeReferenceNode(resolved) || resolved.typeName.getText(source) !== "Record") {
    return undefined;
  }
  return resolved.typeArguments?.[1];
}

function schemaKinds(node: StructuralSchema): Set<string> {
  if (node["x-kubernetes-int-or-string"]) return new Set(["number", "string"]);
  const map: Record<string, string> = {
    integer: "number",
    number: "number",
    string: "string",
    boolean: "boolean",
  };
  return new Set(node.type ? [map[node.type]!] : []);
}

/** Walks the CRD schema and the TypeScript type together, collecting every mismatch. */
function compare(node: StructuralSchema, type: ts.TypeNode, path: string, out: string[]): void {
  if (node.properties) {
    compareObject(node, type, path, out);
  } else if (node.type === "array" && node.items) {
    const element = elementType(type);
    if (!element) out.push(`${path}: an array in the CRD, not in TypeScript`);
    else compare(node.items, element, `${path}[]`, out);
  } else if (typeof node.additionalProperties === "object") {
    const value = recordValue(type);
    if (!value) out.push(`${path}: a map in the CRD, not a Record in TypeScript`);
    else compare(node.additionalProperties, value, `${path}{}`, out);
  } else {
    compareLeaf(node, type, path, out);
  }
}

function compareObject(
  node: StructuralSchema,
  type: ts.TypeNode,
  path: string,
  out: string[],
): void {
  const tsMembers = members(type);
  const required = new Set(node.required ?? []);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const childPath = `${path}.${key}`;
    const member = tsMembers.get(key);
    if (!member) {
      if (!CRD_ONLY.has(childPath)) out.push(`${childPath}: in the CRD, missing in TypeScript`);
      continue;
    }
    const optional = member.questionToken !== undefined;
    if (optional === required.has(key)) {
      out.push(
        `${childPath}: ${required.has(key) ? "required" : "optional"} in the CRD, not in TypeScript`,
      );
    }
    compare(child, member.type!, childPath, out);
  }
  for (const key of tsMembers.keys()) {
    if (!node.properties?.[key]) out.push(`${path}.${key}: in TypeScript, missing in the CRD`);
  }
}

function compareLeaf(node: StructuralSchema, type: ts.TypeNode, path: string, out: string[]): void {
  const { kinds, literals } = leaf(type);
  const expected = schemaKinds(node);
  if ([...expected].sort().join() !== [...kinds].sort().join()) {
    out.push(
      `${path}: ${[...expected].join("|")} in the CRD, ${[...kinds].join("|")} in TypeScript`,
    );
  }
  if (node.enum) {
    const values = (node.enum as string[]).slice().sort().join();
    if (values !== [...literals].sort().join()) {
      out.push(`${path}: enum ${values} in the CRD, ${[...literals].sort().join()} in TypeScript`);
    }
  }
}

describe("api/v1alpha1.ts against crds/servicewithhealthchecks.yaml", () => {
  const schema = openApiSchema();
  const root = ts.factory.createTypeReferenceNode("ServiceWithHealthchecks");

  it.each(["spec", "status"])("%s has the same fields, optionality, types and enums", part => {
    const mismatches: string[] = [];
    const member = members(root).get(part)!;
    const node = schema.properties![part]!;
    compare(node, member.type!, `.${part}`, mismatches);
    expect(mismatches).toEqual([]);
  });

  it("requires spec in both", () => {
    expect(schema.required).toContain("spec");
    expect(members(root).get("spec")!.questionToken).toBeUndefined();
  });
});
