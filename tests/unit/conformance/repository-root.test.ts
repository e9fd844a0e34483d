// Stand-in for the findings of a real `dmt lint` of the repository root (dmt cannot be built
// here): the repository root is the module too, so dmt's `license` and `helmignore` rules see the
// scripts, tool settings and module metadata that the staged module leaves out. Each rule is
// applied as dmt applies it (deckhouse/dmt pkg/linters/module/rules: license.go's file patterns,
// helmignore.go's root coverage through Helm's ignore rules).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { matchesGlob } from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "../../support/helm.js";

/** Paths dmt's license rule reads (license.go: fileToCheckRe minus fileToSkipRe). */
const LICENSE_CHECKED = /\.go$|\/[^.]+$|\.sh$|\.lua$|\.py$/;
const LICENSE_SKIPPED =
  /geohash.lua$|\.github\/.*|Dockerfile$|Makefile$|\/docs\/documentation\/|\/docs\/site\/|bashrc$|inputrc$|LICENSE$|charts\/helm_lib|PROJECT|pb.go$|zz_generated/;
/** Root entries a module keeps in its chart (helmignore.go: moduleTemplateExclude). */
const CHART_ENTRIES = new Set(["templates", "charts", "monitoring", "Chart.yaml", "values.yaml"]);

const tracked = execFileSync("git", ["ls-files"], { cwd: REPO_ROOT, encoding: "utf8" })
  .split("\n")
  .filter(Boolean);

function licenseExclusions(): string[] {
  const config = parse(readFileSync(`${REPO_ROOT}/.dmtlint.yaml`, "utf8")) as {
    "linters-settings": { module: { "exclude-rules": { license: { files: string[] } } } };
  };
  return config["linters-settings"].module["exclude-rules"].license.files;
}

/** The .helmignore patterns (no comments, no blank lines). */
function helmignorePatterns(): string[] {
  return readFileSync(`${REPO_ROOT}/.helmignore`, "utf8")
    .split("\n")
    .map(l => l.trim())
    .filter(l => l !== "" && !l.startsWith("#"));
}

describe("dmt lint of the repository root", () => {
  it("license: every file dmt checks is excluded with a reason and carries an SPDX line", () => {
    const checked = tracked.filter(f => LICENSE_CHECKED.test(f) && !LICENSE_SKIPPED.test(f));
    // The six scripts the real dmt reported, so a rename cannot make this pass by checking none.
    expect(checked).toEqual(
      expect.arrayContaining([
        ".ci/run",
        "scripts/demo",
        "scripts/setup.sh",
        "scripts/stage-module.sh",
        "scripts/testenv",
        "tests/testenv/build-tools.sh",
      ]),
    );
    const excluded = licenseExclusions();
    for (const file of checked) {
      expect([file, excluded.includes(file)]).toEqual([file, true]);
      const head = readFileSync(`${REPO_ROOT}/${file}`, "utf8").split("\n").slice(0, 3);
      const spdx = file.endsWith(".go")
        ? "// SPDX-License-Identifier: Apache-2.0"
        : "# SPDX-License-Identifier: Apache-2.0";
      expect([file, head.includes(spdx)]).toEqual([file, true]);
    }
  });

  it("helmignore: every root entry outside the chart is listed in .helmignore", () => {
    const patterns = helmignorePatterns();
    const roots = [...new Set(tracked.map(f => f.split("/")[0] ?? f))].filter(
      e => e !== ".helmignore" && !CHART_ENTRIES.has(e),
    );
    expect(roots).toEqual(expect.arrayContaining([".dmtlint.yaml", "module.yaml", "oss.yaml"]));
    // Helm matches a root entry's name against each pattern (a trailing `/` means directories).
    const unlisted = roots.filter(
      e => !patterns.some(p => matchesGlob(e, p.replace(/\/$/, "").replace(/^\//, ""))),
    );
    expect(unlisted).toEqual([]);
  });
});
