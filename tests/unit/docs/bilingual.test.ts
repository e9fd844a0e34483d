// The documentation rules Deckhouse applies to a module's docs/ (dmt's `documentation` linter:
// readme, bilingual, cyrillic-in-english, no-lang-key, front-matter) plus what keeps the two
// languages one document: every English page has a Russian twin with the same structure (the
// same headings at the same levels) and the same examples (YAML identical as data, so only
// comments may be translated; other code blocks identical), and internal links lead to pages
// that exist.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import {
  DOCS_DIR,
  codeBlocks,
  headings,
  isRussian,
  linkTargets,
  listDocs,
  readDoc,
  russianTwin,
  splitFrontMatter,
  type CodeBlock,
} from "./markdown.js";

/** The pages every Deckhouse module documentation of this kind has. */
const EXPECTED_PAGES = ["CONFIGURATION.md", "CR.md", "EXAMPLES.md", "FAQ.md", "README.md"];
const CYRILLIC = /[\u0400-\u04FF]/;

const pages = listDocs();
const english = pages.filter(file => !isRussian(file));
const russian = pages.filter(isRussian);

/** The front matter's `title` when it is a string, otherwise "". */
function titleOf(text: string): string {
  const title = splitFrontMatter(text).frontMatter?.title;
  return typeof title === "string" ? title : "";
}

/** Every document of a YAML block as plain data: comments and formatting do not count. */
function yamlData(block: CodeBlock): unknown[] {
  return parseAllDocuments(block.content).map(doc => {
    if (doc.errors.length > 0) {
      throw new Error(`YAML block at line ${block.line}: ${doc.errors[0]?.message ?? ""}`);
    }
    return doc.toJS() as unknown;
  });
}

describe("docs/", () => {
  it("has the module's pages, README first of all, none of them empty", () => {
    expect(english).toEqual(expect.arrayContaining(EXPECTED_PAGES));
    for (const file of pages) expect([file, readDoc(file).trim().length > 0]).toEqual([file, true]);
  });

  it("has no Russian page without its English original", () => {
    for (const file of russian) {
      const original = file.replace(/(_RU|\.ru)\.md$/, ".md");
      expect([file, existsSync(join(DOCS_DIR, original))]).toEqual([file, true]);
    }
  });
});

describe("internal links", () => {
  it("lead to pages that exist (`name.html` is docs/NAME.md)", () => {
    let checked = 0;
    for (const file of pages) {
      for (const target of linkTargets(readDoc(file))) {
        const page = /^([a-z_]+)\.html(#.*)?$/.exec(target)?.[1];
        if (page === undefined) continue;
        checked++;
        const exists = existsSync(join(DOCS_DIR, `${page.toUpperCase()}.md`));
        expect([file, target, exists]).toEqual([file, target, true]);
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe.each(english)("%s", file => {
  const twin = russianTwin(file);
  const en = readDoc(file);
  const ru = existsSync(join(DOCS_DIR, twin)) ? readDoc(twin) : undefined;

  it(`has the Russian twin ${twin}`, () => {
    expect(ru).toBeDefined();
  });

  it.each([
    [file, en],
    [twin, ru ?? ""],
  ])("%s: front matter has a title and no lang key", (_name, text) => {
    const { frontMatter } = splitFrontMatter(text);
    expect(frontMatter).toBeDefined();
    expect(typeof frontMatter?.title).toBe("string");
    expect(titleOf(text).trim()).not.toBe("");
    expect(Object.keys(frontMatter ?? {})).not.toContain("lang");
  });

  it("is English: no Cyrillic letters", () => {
    const lines = en.split("\n").filter(line => CYRILLIC.test(line));
    expect(lines).toEqual([]);
  });

  it("is translated: the twin is Russian, with a Russian title", () => {
    expect(CYRILLIC.test(titleOf(ru ?? ""))).toBe(true);
    expect(CYRILLIC.test(splitFrontMatter(ru ?? "").body)).toBe(true);
  });

  it("has the same headings, at the same levels, as its twin", () => {
    const levels = (text: string): number[] => headings(text).map(h => h.level);
    expect(headings(en).length).toBeGreaterThan(0);
    expect(levels(ru ?? "")).toEqual(levels(en));
  });

  it("has the same code blocks as its twin: YAML equal as data, the others identical", () => {
    const enBlocks = codeBlocks(en);
    const ruBlocks = codeBlocks(ru ?? "");
    expect(ruBlocks.map(b => b.lang)).toEqual(enBlocks.map(b => b.lang));
    enBlocks.forEach((block, i) => {
      const other = ruBlocks[i]!;
      if (block.lang === "yaml") {
        expect([block.line, yamlData(other)]).toEqual([block.line, yamlData(block)]);
      } else {
        expect([block.line, other.content]).toEqual([block.line, block.content]);
      }
    });
  });
});
