// Reading the module's user documentation (docs/*.md) for the docs tests: which pages exist and
// which are Russian twins, their YAML front matter, headings, fenced code blocks, table rows and
// inline code spans. A small line-based reader on purpose: the docs tests need these few
// structures, and a full Markdown parser would hide what exactly they look at. Pure functions
// over text, plus two helpers that read the docs directory.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

/** Absolute path of docs/ in this repository. */
export const DOCS_DIR = fileURLToPath(new URL("../../../docs/", import.meta.url));

/** True for a Russian page: `NAME_RU.md` or `NAME.ru.md`. */
export function isRussian(file: string): boolean {
  return /(_RU|\.ru)\.md$/.test(file);
}

/** The Russian twin's file name of an English page (`CR.md` → `CR_RU.md`). */
export function russianTwin(file: string): string {
  return file.replace(/\.md$/, "_RU.md");
}

/** Top-level Markdown pages of docs/ (not docs/internal/), sorted. */
export function listDocs(dir: string = DOCS_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter(entry => entry.isFile() && entry.name.endsWith(".md"))
    .map(entry => entry.name)
    .sort();
}

/** The text of a page of docs/. */
export function readDoc(file: string, dir: string = DOCS_DIR): string {
  try {
    return readFileSync(join(dir, file), "utf8");
  } catch (cause) {
    throw new Error(`cannot read docs/${file}`, { cause });
  }
}

/** A page split into its YAML front matter (parsed) and the Markdown after it. */
export interface SplitPage {
  /** The parsed front matter; undefined when the page has none. */
  readonly frontMatter: Record<string, unknown> | undefined;
  readonly body: string;
}

/** Splits off a leading `---` ... `---` YAML front matter block. */
export function splitFrontMatter(text: string): SplitPage {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(text);
  if (!match) return { frontMatter: undefined, body: text };
  const parsed: unknown = parse(match[1] ?? "");
  const frontMatter =
    typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  return { frontMatter, body: text.slice(match[0].length) };
}

/** A fenced code block. */
export interface CodeBlock {
  /** The info string's first word (`yaml`, `shell`...), "" when none. */
  readonly lang: string;
  /** The lines between the fences, with the fence's indentation removed. */
  readonly content: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
}

/** A line of a page and whether it lies inside a fenced code block (fences included). */
interface ClassifiedLine {
  readonly text: string;
  readonly inCode: boolean;
}

const FENCE_OPEN = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;

function isFenceClose(line: string, fence: string): boolean {
  const trimmed = line.trim();
  return trimmed.startsWith(fence) && /^(`+|~+)$/.test(trimmed) && trimmed[0] === fence[0];
}

/** Every fenced code block of a page, in order. */
export function codeBlocks(text: string): CodeBlock[] {
  const lines = text.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i] ?? "");
    if (!open) continue;
    const indent = open[1]?.length ?? 0;
    const fence = open[2] ?? "```";
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !isFenceClose(lines[j] ?? "", fence)) {
      body.push(dedent(lines[j] ?? "", indent));
      j++;
    }
    blocks.push({ lang: open[3] ?? "", content: body.join("\n"), line: i + 1 });
    i = j;
  }
  return blocks;
}

function dedent(line: string, indent: number): string {
  let cut = 0;
  while (cut < indent && line[cut] === " ") cut++;
  return line.slice(cut);
}

function classifyLines(text: string): ClassifiedLine[] {
  const out: ClassifiedLine[] = [];
  let fence: string | undefined;
  for (const line of text.split("\n")) {
    if (fence === undefined) {
      const open = FENCE_OPEN.exec(line);
      if (open) fence = open[2];
      out.push({ text: line, inCode: open !== null });
    } else {
      if (isFenceClose(line, fence)) fence = undefined;
      out.push({ text: line, inCode: true });
    }
  }
  return out;
}

/** An ATX heading. */
export interface Heading {
  readonly level: number;
  readonly text: string;
}

/** The ATX headings (`## Title`) of a page, outside code blocks. */
export function headings(text: string): Heading[] {
  const out: Heading[] = [];
  for (const line of classifyLines(text)) {
    const match = line.inCode ? null : /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line.text);
    if (match) out.push({ level: match[1]?.length ?? 0, text: match[2] ?? "" });
  }
  return out;
}

/** Splits a table row into trimmed cells on unescaped `|`. */
function splitRow(line: string): string[] {
  const inner = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  return inner.split(/(?<!\\)\|/).map(cell => cell.trim());
}

/** The rows of every table on a page, as cells; header rows included, separator rows not. */
export function tableRows(text: string): string[][] {
  return classifyLines(text)
    .filter(line => !line.inCode && line.text.trim().startsWith("|"))
    .map(line => splitRow(line.text))
    .filter(cells => !cells.every(cell => /^:?-{3,}:?$/.test(cell)));
}

/** The contents of every inline code span outside code blocks (`` `x` `` → `x`). */
export function codeSpans(text: string): string[] {
  const spans: string[] = [];
  for (const line of classifyLines(text)) {
    if (line.inCode) continue;
    for (const match of line.text.matchAll(/(`+)(?!`)(.+?)(?<!`)\1(?!`)/g)) {
      spans.push((match[2] ?? "").trim());
    }
  }
  return spans;
}

/** Link targets of inline links (`[text](target)`) outside code blocks. */
export function linkTargets(text: string): string[] {
  const targets: string[] = [];
  for (const line of classifyLines(text)) {
    if (line.inCode) continue;
    for (const match of line.text.matchAll(/\]\(([^)\s]+)\)/g)) targets.push(match[1] ?? "");
  }
  return targets;
}

/**
 * The table row whose first cell is exactly `` `key` ``, or undefined. The docs document one
 * setting or field per row this way.
 */
export function rowFor(rows: readonly string[][], key: string): string[] | undefined {
  return rows.find(cells => cells[0] === `\`${key}\``);
}
