// Stand-in for dmt's `module` and `no-cyrillic` linters (deckhouse/dmt cannot be built here):
// definition-file, helmignore, requirements (weight too), oss, legacy-release-file and license (what it checks and
// what .dmtlint.yaml excludes, with why), and no-cyrillic files, on the staged module. The staged
// tree is what ships (scripts/stage-module.sh): node_modules, sources and tests never reach dmt.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, matchesGlob } from "node:path";
import { parse } from "yaml";
import { MODULE_NAME, MODULE_NAMESPACE } from "../../../api/contract.js";
import { REPO_ROOT } from "../../support/helm.js";
import { filesUnder, loadModuleUnderTest, type ModuleUnderTest } from "./module-under-test.js";

interface ModuleYaml {
  name: string;
  stage?: string;
  namespace?: string;
  weight?: number;
  descriptions?: { en?: string; ru?: string };
  requirements?: { deckhouse?: string; kubernetes?: string };
  disable?: { confirmation?: boolean; message?: string };
}

let m: ModuleUnderTest;

beforeAll(async () => {
  m = await loadModuleUnderTest();
}, 600_000);

afterAll(async () => {
  await m?.cleanup();
});

const moduleYaml = (): ModuleYaml =>
  parse(readFileSync(join(m.dir, "module.yaml"), "utf8")) as ModuleYaml;

/** The smallest version a `>= x.y[.z]` constraint allows, as [major, minor]. */
function minimum(constraint: string | undefined): [number, number] | undefined {
  const match = />=\s*v?(\d+)\.(\d+)/.exec(constraint ?? "");
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

describe("module linter", () => {
  it("definition-file: module.yaml names the module, its stage, namespace and description", () => {
    const def = moduleYaml();
    expect(def.name).toBe(MODULE_NAME);
    expect(def.name.length).toBeLessThanOrEqual(64);
    expect(["Experimental", "Preview", "General Availability", "Deprecated"]).toContain(def.stage);
    expect(def.namespace).toBe(MODULE_NAMESPACE);
    expect(def.descriptions?.en).toBeTruthy();
  });

  it("requirements: a module with a stage requires Deckhouse >= 1.68", () => {
    const def = moduleYaml();
    const min = minimum(def.requirements?.deckhouse);
    expect(min).toBeDefined();
    const [major = 0, minor = 0] = min ?? [];
    expect(major > 1 || (major === 1 && minor >= 68)).toBe(true);
  });

  it("requirements: weight 900-999 while Deckhouse < 1.72 is allowed, none from 1.72 on", () => {
    // weight_required and weight_deprecated: Deckhouse before 1.72 refuses an external module
    // without a weight in 900..999; from 1.72 on a non-critical module must not set one.
    const def = moduleYaml();
    const [major = 0, minor = 0] = minimum(def.requirements?.deckhouse) ?? [];
    if (major > 1 || minor >= 72) expect(def.weight).toBeUndefined();
    else expect(def.weight).toEqual(expect.any(Number));
    if (def.weight !== undefined) {
      expect(def.weight).toBeGreaterThanOrEqual(900);
      expect(def.weight).toBeLessThanOrEqual(999);
    }
  });

  it("oss: a module with images ships oss.yaml naming its third-party software", () => {
    expect(existsSync(join(REPO_ROOT, "images"))).toBe(true);
    const oss = parse(readFileSync(join(m.dir, "oss.yaml"), "utf8")) as {
      name?: string;
      license?: string;
      version?: string;
    }[];
    expect(oss.length).toBeGreaterThan(0);
    for (const entry of oss) {
      expect(entry).toEqual(
        expect.objectContaining({
          name: expect.any(String),
          license: expect.any(String),
          version: expect.any(String),
        }),
      );
    }
  });

  it("helmignore: present, and never hides templates/ or Chart.yaml", () => {
    const lines = readFileSync(join(m.dir, ".helmignore"), "utf8")
      .split("\n")
      .map(l => l.trim())
      .filter(l => l !== "" && !l.startsWith("#"));
    expect(lines.length).toBeGreaterThan(0);
    for (const pattern of ["templates", "templates/", "Chart.yaml", "*.yaml", "*"]) {
      expect(lines).not.toContain(pattern);
    }
    // What a Deckhouse module must keep out of its Helm release.
    expect(lines).toEqual(expect.arrayContaining(["crds", "docs", "hooks", "openapi", "*.md"]));
    // Root coverage: every entry of the staged module but the chart's own is listed.
    const chart = new Set(["templates", "charts", "monitoring", "Chart.yaml", "values.yaml"]);
    const unlisted = readdirSync(m.dir)
      .filter(e => e !== ".helmignore" && !chart.has(e))
      .filter(e => !lines.some(p => matchesGlob(e, p.replace(/\/$/, ""))));
    expect(unlisted).toEqual([]);
  });

  it("legacy-release-file: no release.yaml", () => {
    expect(existsSync(join(m.dir, "release.yaml"))).toBe(false);
  });

  it("license: the files dmt would check are exactly the ones .dmtlint.yaml excludes, with reasons", () => {
    // dmt checks Go, shell, Lua, Python and extensionless files for a Flant JSC header. The staged
    // module has none of those but the (optional) hooks executable; the image recipes are
    // excluded because only Flant's own header passes, and this module is not Flant's.
    const checked = filesUnder(m.dir).filter(f => /\.(go|sh|lua|py)$|(^|\/)[^./]+$/.test(f));
    const config = readFileSync(join(REPO_ROOT, ".dmtlint.yaml"), "utf8");
    const excluded = (
      parse(config) as {
        "linters-settings": { module: { "exclude-rules": { license: { files: string[] } } } };
      }
    )["linters-settings"].module["exclude-rules"].license.files;
    for (const file of checked) expect(excluded).toContain(file);
    expect(excluded).toEqual(
      expect.arrayContaining([
        "hooks/swh-hooks",
        "images/agent/Dockerfile",
        "images/hooks/Dockerfile",
      ]),
    );
    expect(config).toMatch(/not Flant's/);
  });
});

describe("no-cyrillic linter", () => {
  it("files: no Cyrillic in YAML and JSON, except translations and module.yaml", () => {
    // dmt skips doc-ru-* twins and module.yaml (whose descriptions.ru is Russian by design).
    const files = filesUnder(m.dir).filter(
      f => /\.(ya?ml|json)$/.test(f) && !/(^|\/)doc-ru-/.test(f) && f !== "module.yaml",
    );
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(join(m.dir, file), "utf8");
      expect([file, /[\u0400-\u04FF]/.test(text)]).toEqual([file, false]);
    }
  });
});
