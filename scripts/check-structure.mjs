#!/usr/bin/env node
// The structure bars of issue #13, enforced in `npm run lint`: no product file over 300 lines and
// no function (declaration, method, accessor, constructor, function expression or arrow function)
// over 60 lines. Product code is api/, hooks/, images/agent/src/ and packages/*/src/, without
// tests: *.test.ts and testdata/ folders (a package's exported testing/ helpers are product). A function's
// lines run from its first line (after leading comments) to its closing line, nested functions
// included. Prints one line per finding and exits 1 if there is any.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import ts from "typescript";

const MAX_FILE_LINES = 300;
const MAX_FUNCTION_LINES = 60;
const ROOT = resolve(import.meta.dirname, "..");
const SKIPPED_DIRS = new Set(["node_modules", "testdata"]);
const PRODUCT_ROOTS = ["api", "hooks", "images/agent/src", ...packageSources()];

function packageSources() {
  return readdirSync(join(ROOT, "packages"), { withFileTypes: true })
    .filter(entry => entry.isDirectory())
    .map(entry => `packages/${entry.name}/src`);
}

function isProductFile(path) {
  return path.endsWith(".ts") && !path.endsWith(".test.ts") && !path.endsWith(".d.ts");
}

function* walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) yield* walk(path);
    else if (entry.isFile() && isProductFile(path)) yield path;
  }
}

function lineCount(text) {
  const lines = text.split("\n");
  return text.endsWith("\n") ? lines.length - 1 : lines.length;
}

function functionName(node, source) {
  if (node.name) return node.name.getText(source);
  if (ts.isConstructorDeclaration(node)) return "constructor";
  const parent = node.parent;
  if (
    parent &&
    (ts.isVariableDeclaration(parent) ||
      ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent))
  )
    return parent.name.getText(source);
  return "(anonymous)";
}

function longFunctions(path, text) {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = node => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > MAX_FUNCTION_LINES)
        found.push({ line: start + 1, name: functionName(node, source), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const findings = [];
for (const root of PRODUCT_ROOTS) {
  for (const path of walk(join(ROOT, root))) {
    const rel = relative(ROOT, path);
    const text = readFileSync(path, "utf8");
    const lines = lineCount(text);
    if (lines > MAX_FILE_LINES)
      findings.push(`${rel}: file has ${lines} lines (max ${MAX_FILE_LINES})`);
    for (const fn of longFunctions(path, text))
      findings.push(
        `${rel}:${fn.line}: function ${fn.name} has ${fn.lines} lines (max ${MAX_FUNCTION_LINES})`,
      );
  }
}

for (const finding of findings) console.log(finding);
if (findings.length > 0) {
  console.error(`check-structure: ${findings.length} finding(s)`);
  process.exit(1);
}
