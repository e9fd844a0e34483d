// The endpoint-reports annotation: sorted, reasons bounded, within a byte budget, deterministic.
import type { EndpointReport } from "./contract.js";
import { decodeReports, encodeReports, MAX_REASON_LENGTH, truncate } from "./endpoint-reports.js";

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

const REPORTS: EndpointReport[] = [
  {
    pod: "db-0",
    address: "10.0.0.1",
    ready: false,
    failedProbes: [{ probe: "PostgreSQL:10.0.0.1:5432", reason: "connect ECONNREFUSED" }],
    lastTransitionTime: "2024-05-01T10:00:00Z",
  },
  { pod: "db-1", address: "10.0.0.2", ready: true, failedProbes: [] },
];

describe("decodeReports", () => {
  it.each([
    // absent annotation: no reports, no error
    [undefined, 0, undefined],
    // empty array
    ["[]", 0, undefined],
    // valid reports
    [JSON.stringify(REPORTS), 2, undefined],
    // not JSON
    ["{oops", 0, "annotation is not JSON"],
    // JSON but not an array
    ['{"pod":"a"}', 0, "annotation is not a JSON array"],
    // one valid report and one without a pod name
    ['[{"pod":"a","address":"1.1.1.1","ready":true},{"address":"x","ready":true}]', 1, "1 invalid"],
  ])("parses %s into %d report(s), error %s", (text, count, error) => {
    const parsed = decodeReports(text);
    expect(parsed.reports).toHaveLength(count);
    if (error === undefined) expect(parsed.error).toBeUndefined();
    else expect(parsed.error).toContain(error);
  });

  it("drops malformed failures but keeps the report", () => {
    const text = JSON.stringify([
      { pod: "a", address: "1.1.1.1", ready: false, failedProbes: [{ reason: "x" }, "bad"] },
    ]);
    expect(decodeReports(text).reports[0]?.failedProbes).toEqual([]);
  });
});

describe("encodeReports and decodeReports", () => {
  it("round-trip: what the agent writes, the hooks and a restarted agent read back", () => {
    expect(decodeReports(encodeReports(REPORTS))).toEqual({ reports: REPORTS });
  });
});

describe("the drained flag", () => {
  it("round-trips when true and is absent otherwise (older readers see a not-ready report)", () => {
    const drained: EndpointReport = {
      pod: "p",
      address: "10.0.0.1",
      ready: false,
      failedProbes: [{ probe: "Drain", reason: "drained" }],
      drained: true,
    };
    const text = encodeReports([drained, { ...drained, pod: "q", drained: false }]);
    expect(decodeReports(text).reports.map(r => [r.pod, r.drained])).toEqual([
      ["p", true],
      ["q", undefined],
    ]);
    expect(encodeReports([drained], 60)).toBe("[]");
  });
});
