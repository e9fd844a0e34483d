// Stand-in for dmt's `documentation` linter (deckhouse/dmt cannot be built here), on the staged
// module's docs/ (docs/internal, the developers' design notes, is not shipped). The module's user
// documentation lands with issue 5's docs part; until then .dmtlint.yaml turns dmt's readme rule
// off with that reason, and the readme test below holds the two together: as soon as
// docs/README.md exists it must be non-empty, and the exclusion must go.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../support/helm.js";
import { filesUnder, loadModuleUnderTest, type ModuleUnderTest } from "./module-under-test.js";

let m: ModuleUnderTest;

beforeAll(async () => {
  m = await loadModuleUnderTest();
}, 600_000);

afterAll(async () => {
  await m?.cleanup();
});

const docsDir = (): string => join(m.dir, "docs");
const markdown = (): string[] =>
  existsSync(docsDir()) ? filesUnder(docsDir()).filter(f => f.endsWith(".md")) : [];
const english = (): string[] => markdown().filter(f => !/(_RU|\.ru)\.md$/.test(f));

describe("documentation linter", () => {
  it("readme: docs/README.md exists and is not empty, or the exclusion says why not yet", () => {
    const readme = join(docsDir(), "README.md");
    const config = readFileSync(join(REPO_ROOT, ".dmtlint.yaml"), "utf8");
    const excluded =
      /readme:\s*\n\s*#[^\n]*docs land with issue 5's docs part[^\n]*\n\s*impact: ignored/.test(
        config,
      );
    if (existsSync(readme)) {
      expect(readFileSync(readme, "utf8").trim().length).toBeGreaterThan(0);
      expect(excluded).toBe(false);
    } else {
      expect(excluded).toBe(true);
    }
  });

  it("bilingual: every top-level English page has a Russian twin", () => {
    for (const file of english().filter(f => !f.includes("/"))) {
      const base = file.replace(/\.md$/, "");
      const twin = [`${base}_RU.md`, `${base}.ru.md`].some(t => existsSync(join(docsDir(), t)));
      expect([file, twin]).toEqual([file, true]);
    }
  });

  it("cyrillic-in-english and no-lang-key: English pages are English, no `lang` front matter", () => {
    for (const file of markdown()) {
      const text = readFileSync(join(docsDir(), file), "utf8");
      const front = /^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? "";
      expect([file, /^lang:/m.test(front)]).toEqual([file, false]);
      if (english().includes(file))
        expect([file, /[\u0400-\u04FF]/.test(text)]).toEqual([file, false]);
    }
  });

  it("size: docs/ stays under 15 MB", () => {
    const total = existsSync(docsDir())
      ? filesUnder(docsDir()).reduce((sum, f) => sum + statSync(join(docsDir(), f)).size, 0)
      : 0;
    expect(total).toBeLessThan(15 * 1024 * 1024);
  });
});
