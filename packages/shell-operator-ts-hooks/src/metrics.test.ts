// Metric operations serialised per reference A.6 (`action` form, labels and group only when set).

import { toJsonLines } from "./json.js";
import { createMetricsCollector } from "./metrics.js";

describe("createMetricsCollector", () => {
  it("serialises every action", () => {
    const m = createMetricsCollector();
    m.inc("swh_reconciles_total");
    m.add("swh_probes_total", 3, { mode: "TCP" });
    m.set("swh_ready_endpoints", 2, { namespace: "prod", name: "db" }, { group: "swh_status" });
    m.observe("swh_hook_seconds", 0.12, [0.1, 0.5, 1]);
    m.expire("swh_status");
    expect(toJsonLines(m.metrics())).toBe(
      [
        '{"name":"swh_reconciles_total","action":"add","value":1}',
        '{"name":"swh_probes_total","action":"add","value":3,"labels":{"mode":"TCP"}}',
        '{"name":"swh_ready_endpoints","action":"set","value":2,"labels":{"namespace":"prod","name":"db"},"group":"swh_status"}',
        '{"name":"swh_hook_seconds","action":"observe","value":0.12,"buckets":[0.1,0.5,1]}',
        '{"action":"expire","group":"swh_status"}',
        "",
      ].join("\n"),
    );
  });

  it.each([
    // invalid Prometheus name
    [(m: ReturnType<typeof createMetricsCollector>) => m.inc("bad-name"), /invalid metric name/],
    // NaN is not a value
    [(m: ReturnType<typeof createMetricsCollector>) => m.set("g", Number.NaN), /not finite/],
    // histograms need buckets
    [(m: ReturnType<typeof createMetricsCollector>) => m.observe("h", 1, []), /buckets/],
    // expire needs a group
    [(m: ReturnType<typeof createMetricsCollector>) => m.expire(""), /group/],
  ])("rejects invalid input %#", (act, message) => {
    expect(() => act(createMetricsCollector())).toThrow(message);
  });
});
