// dmt's `markdownlint` rule on docs/*.md, run here with the markdownlint library (dmt runs a Go
// port of the same rules, and dmt itself cannot be built in this environment). The configuration
// mirrors the one dmt passes (deckhouse/dmt pkg/linters/docs/rules/markdown.go): every rule on,
// except those listed below; a front matter `title` counts as the page's top-level heading.
import { join } from "node:path";
import { lint } from "markdownlint/sync";
import type { Configuration } from "markdownlint";
import { DOCS_DIR, listDocs } from "./markdown.js";

/** The rule overrides dmt applies; everything else keeps markdownlint's defaults. */
export const DECKHOUSE_MARKDOWNLINT_CONFIG: Configuration = {
  MD004: false,
  MD013: {
    line_length: 1000,
    heading_line_length: 128,
    code_block_line_length: 400,
    code_blocks: true,
    tables: true,
    headings: true,
    strict: false,
    stern: false,
  },
  MD022: { lines_above: 1, lines_below: 1 },
  MD024: { siblings_only: true },
  MD026: { punctuation: ".,;:!。，；：！" },
  MD029: { style: "one_or_ordered" },
  MD032: false,
  MD033: false,
  MD041: { level: 1, front_matter_title: "^\\s*title\\s*[:=]" },
  MD042: true,
  MD044: { names: [], code_blocks: true },
  MD045: true,
  MD046: { style: "consistent" },
  MD047: true,
  MD048: { style: "consistent" },
  MD049: { style: "consistent" },
  MD050: { style: "consistent" },
  MD051: false,
  MD053: false,
  MD059: false,
  MD060: false,
};

const files = listDocs().map(file => join(DOCS_DIR, file));

describe("markdownlint with dmt's configuration", () => {
  it("finds the pages to lint", () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  it.each(files.map(f => [f.slice(DOCS_DIR.length), f]))("%s is clean", (_name, file) => {
    const results = lint({ files: [file], config: DECKHOUSE_MARKDOWNLINT_CONFIG });
    expect(Object.keys(results)).toEqual([file]);
    const problems = (results[file] ?? []).map(
      e =>
        `line ${e.lineNumber}: ${e.ruleNames.join("/")} ${e.ruleDescription}` +
        (e.errorDetail ? ` [${e.errorDetail}]` : "") +
        (e.errorContext ? ` {${e.errorContext}}` : ""),
    );
    expect(problems).toEqual([]);
  });

  it("reports a broken page (the linter really runs)", () => {
    const results = lint({
      strings: { broken: "---\ntitle: x\n---\n\n# Second title\n\n```\nno language\n```\n" },
      config: DECKHOUSE_MARKDOWNLINT_CONFIG,
    });
    const rules = (results.broken ?? []).flatMap(e => e.ruleNames);
    expect(rules).toEqual(expect.arrayContaining(["MD025", "MD040"]));
  });
});
