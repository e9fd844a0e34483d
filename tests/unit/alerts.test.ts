// The module's alerts, tested by Prometheus' own rule engine: `promtool test rules` (built from
// the Go module proxy by tests/testenv/build-tools.sh) runs tests/alerts/*.test.yaml against
// monitoring/prometheus-rules/*.yaml. The module keeps its rules as a bare list of groups (the
// Deckhouse layout that templates/monitoring.yaml renders into a PrometheusRule); this test wraps
// each file into the `groups:` document promtool reads, named <file>.rules.yaml beside the tests.
// Every alert must have a case where it fires and one where it stays silent.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { ensureGoTool } from "../cluster/builds.js";
import { REPO_ROOT } from "../support/helm.js";

const run = promisify(execFile);
const RULES_DIR = join(REPO_ROOT, "monitoring", "prometheus-rules");
const TESTS_DIR = join(REPO_ROOT, "tests", "alerts");

interface AlertCase {
  readonly alertname: string;
  readonly exp_alerts?: readonly unknown[];
}

interface TestFile {
  readonly rule_files: readonly string[];
  readonly tests: readonly { readonly alert_rule_test?: readonly AlertCase[] }[];
}

let work: string;
let testFiles: string[];
/** Every alert name in monitoring/prometheus-rules. */
const alertNames: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "swh-alerts-"));
  for (const file of await readdir(RULES_DIR)) {
    if (!file.endsWith(".yaml")) continue;
    const groups = parse(await readFile(join(RULES_DIR, file), "utf8")) as {
      rules: { alert?: string }[];
    }[];
    for (const g of groups) for (const r of g.rules) if (r.alert) alertNames.push(r.alert);
    await writeFile(join(work, file.replace(/\.yaml$/, ".rules.yaml")), stringify({ groups }));
  }
  testFiles = (await readdir(TESTS_DIR)).filter(f => f.endsWith(".test.yaml"));
  for (const file of testFiles) await copyFile(join(TESTS_DIR, file), join(work, file));
}, 60_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("alert rules under promtool", () => {
  it("every rules file has a test file, and every alert a firing and a silent case", async () => {
    const cases = (
      await Promise.all(
        testFiles.map(async f => parse(await readFile(join(TESTS_DIR, f), "utf8")) as TestFile),
      )
    ).flatMap(t => t.tests.flatMap(c => c.alert_rule_test ?? []));
    const ruleFiles = (await readdir(RULES_DIR)).filter(f => f.endsWith(".yaml"));
    expect(testFiles.sort()).toEqual(ruleFiles.map(f => f.replace(/\.yaml$/, ".test.yaml")).sort());
    expect(alertNames.length).toBeGreaterThanOrEqual(8);
    for (const name of alertNames) {
      const mine = cases.filter(c => c.alertname === name);
      const fires = mine.some(c => (c.exp_alerts ?? []).length > 0);
      const silent = mine.some(c => (c.exp_alerts ?? []).length === 0);
      expect({ name, fires, silent }).toEqual({ name, fires: true, silent: true });
    }
  });

  it("promtool test rules passes", async () => {
    const promtool = await ensureGoTool("promtool", "PROMETHEUS_VERSION", () => undefined);
    const result = await run(promtool, ["test", "rules", ...testFiles], { cwd: work }).then(
      r => ({ code: 0, out: r.stdout + r.stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({
        code: err.code ?? 1,
        out: `${err.stdout ?? ""}${err.stderr ?? ""}`,
      }),
    );
    expect(result).toEqual({ code: 0, out: expect.stringContaining("SUCCESS") });
  }, 600_000);
});
