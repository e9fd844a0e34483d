// Runs the Go unit tests of the test cluster's kube-rbac-proxy adapter
// (tests/cluster/images/kube-rbac-proxy-adapter: flag mapping, config parsing, routing), so
// `make test` covers the one Go program of the harness.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../../cluster/layout.js";

describe("kube-rbac-proxy adapter", () => {
  it("passes its Go tests", () => {
    const dir = join(repoRoot(), "tests", "cluster", "images", "kube-rbac-proxy-adapter");
    const out = execFileSync("go", ["test", "-count=1", "./..."], {
      cwd: dir,
      env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly", CGO_ENABLED: "0" },
      encoding: "utf8",
      timeout: 300_000,
    });
    expect(out).toMatch(/^ok\s/m);
  }, 300_000);
});
