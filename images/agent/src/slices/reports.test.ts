// The endpoint-reports annotation: sorted, reasons bounded, within a byte budget, deterministic.
import type { EndpointReport } from "../../../../api/contract.js";
import { encodeReports, MAX_REASON_LENGTH, truncate } from "./reports.js";

function report(pod: string, reason = "", address = "10.0.0.1"): EndpointReport {
  return {
    pod,
    address,
    ready: reason === "",
    failedProbes: reason === "" ? [] : [{ probe: `TCP:${address}:5432`, reason }],
  };
}

describe("encodeReports", () => {
  it("sorts by pod, then address", () => {
    const text = encodeReports([
      report("b"),
      report("a", "", "10.0.0.2"),
      report("a", "", "10.0.0.1"),
    ]);
    expect((JSON.parse(text) as EndpointReport[]).map(r => `${r.pod}/${r.address}`)).toEqual([
      "a/10.0.0.1",
      "a/10.0.0.2",
      "b/10.0.0.1",
    ]);
  });

  it(`cuts reasons to ${MAX_REASON_LENGTH} characters`, () => {
    const [r] = JSON.parse(encodeReports([report("a", "x".repeat(1000))])) as EndpointReport[];
    expect(r!.failedProbes[0]!.reason).toHaveLength(MAX_REASON_LENGTH);
    expect(r!.failedProbes[0]!.reason.endsWith("…")).toBe(true);
  });

  it("degrades step by step to stay within the budget", () => {
    const many = Array.from({ length: 100 }, (_, i) => report(`pod-${i}`, "y".repeat(150)));
    const full = encodeReports(many, 1_000_000);
    const shorter = encodeReports(many, 20_000);
    const bare = encodeReports(many, 12_000);
    const fewer = encodeReports(many, 2_000);
    expect(Buffer.byteLength(shorter)).toBeLessThanOrEqual(20_000);
    expect((JSON.parse(shorter) as EndpointReport[])[0]!.failedProbes[0]!.reason).toHaveLength(40);
    expect((JSON.parse(bare) as EndpointReport[])[0]!.failedProbes[0]!.reason).toBe("");
    expect(JSON.parse(bare) as EndpointReport[]).toHaveLength(100);
    expect(Buffer.byteLength(fewer)).toBeLessThanOrEqual(2_000);
    expect((JSON.parse(fewer) as EndpointReport[]).length).toBeLessThan(100);
    expect(full.length).toBeGreaterThan(shorter.length);
  });

  it("is deterministic", () => {
    const reports = [report("b", "503"), report("a")];
    expect(encodeReports(reports)).toBe(encodeReports([...reports].reverse()));
  });
});

describe("truncate", () => {
  it.each([
    ["abc", 5, "abc"],
    ["abcdef", 4, "abc…"],
    ["abcdef", 1, "a"],
    ["abcdef", 0, ""],
  ])("truncate(%j, %d) = %j", (text, max, want) => {
    expect(truncate(text, max)).toBe(want);
  });
});
