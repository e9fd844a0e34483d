// The docs reader the other docs tests rely on: if it misread a page (a fence inside a list, a
// table cell, a code span), those tests would check the wrong thing and still pass.
import {
  codeBlocks,
  codeSpans,
  headings,
  isRussian,
  linkTargets,
  rowFor,
  russianTwin,
  splitFrontMatter,
  tableRows,
} from "./markdown.js";

const PAGE = [
  "---",
  'title: "A page"',
  "---",
  "",
  "Intro with `code` and a [link](cr.html#x).",
  "",
  "## First",
  "",
  "1. A step:",
  "",
  "   ```yaml",
  "   kind: Thing",
  "   spec:",
  "     a: 1",
  "   ```",
  "",
  "```shell",
  "## not a heading",
  "| not | a row |",
  "```",
  "",
  "### Second #",
  "",
  "| Field | Default |",
  "|---|---|",
  "| `a.b` | `1` |",
  "| `c` | escaped \\| pipe |",
  "",
].join("\n");

describe("docs reader", () => {
  it("splits the front matter off and parses it", () => {
    const { frontMatter, body } = splitFrontMatter(PAGE);
    expect(frontMatter).toEqual({ title: "A page" });
    expect(body.startsWith("\nIntro")).toBe(true);
    expect(splitFrontMatter("no front matter").frontMatter).toBeUndefined();
  });

  it("finds fenced blocks, including indented ones inside lists", () => {
    expect(codeBlocks(PAGE)).toEqual([
      { lang: "yaml", content: "kind: Thing\nspec:\n  a: 1", line: 11 },
      { lang: "shell", content: "## not a heading\n| not | a row |", line: 17 },
    ]);
  });

  it("finds headings outside code blocks only", () => {
    expect(headings(PAGE)).toEqual([
      { level: 2, text: "First" },
      { level: 3, text: "Second" },
    ]);
  });

  it("reads table rows outside code blocks, without separators, honouring escaped pipes", () => {
    const rows = tableRows(PAGE);
    expect(rows).toEqual([
      ["Field", "Default"],
      ["`a.b`", "`1`"],
      ["`c`", "escaped \\| pipe"],
    ]);
    expect(rowFor(rows, "a.b")).toEqual(["`a.b`", "`1`"]);
    expect(rowFor(rows, "a")).toBeUndefined();
  });

  it("collects code spans and link targets outside code blocks", () => {
    expect(codeSpans(PAGE)).toEqual(["code", "a.b", "1", "c"]);
    expect(linkTargets(PAGE)).toEqual(["cr.html#x"]);
  });

  it("names Russian twins", () => {
    expect(russianTwin("CR.md")).toBe("CR_RU.md");
    expect([isRussian("CR_RU.md"), isRussian("CR.ru.md"), isRussian("CR.md")]).toEqual([
      true,
      true,
      false,
    ]);
  });
});
