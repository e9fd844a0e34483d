// The metrics collector: an append-only list of `$METRICS_PATH` lines (reference A.6) using the
// `action` form (the `"add": n` / `"set": n` shortcuts are deprecated upstream).

import type {
  MetricLabels,
  MetricOperation,
  MetricOptions,
  MetricsCollector,
} from "./types/metrics.js";

/** A new, empty collector. Not shared between runs. */
export function createMetricsCollector(): MetricsCollector {
  const ops: MetricOperation[] = [];
  const push = (
    action: "add" | "set",
    sample: { name: string; value: number; labels?: MetricLabels | undefined },
    opts: MetricOptions | undefined,
  ): void => {
    const { name, value, labels } = sample;
    checkName(name);
    checkNumber(name, value);
    ops.push({
      name,
      action,
      value,
      ...labelsOf(labels),
      ...(opts?.group ? { group: opts.group } : {}),
    });
  };
  return {
    inc: (name, labels, opts) => push("add", { name, value: 1, labels }, opts),
    add: (name, value, labels, opts) => push("add", { name, value, labels }, opts),
    set: (name, value, labels, opts) => push("set", { name, value, labels }, opts),
    observe: (name, value, buckets, labels) => {
      checkName(name);
      checkNumber(name, value);
      if (buckets.length === 0) throw new Error(`metric ${name}: observe needs buckets`);
      ops.push({ name, action: "observe", value, buckets: [...buckets], ...labelsOf(labels) });
    },
    expire: group => {
      if (!group) throw new Error("metrics expire: group must be non-empty");
      ops.push({ action: "expire", group });
    },
    metrics: () => ops.slice(),
  };
}

function labelsOf(labels: MetricLabels | undefined): { labels?: MetricLabels } {
  return labels && Object.keys(labels).length > 0 ? { labels: { ...labels } } : {};
}

/** Prometheus metric names: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
function checkName(name: string): void {
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) {
    throw new Error(`invalid metric name ${JSON.stringify(name)}`);
  }
}

function checkNumber(name: string, value: number): void {
  if (!Number.isFinite(value)) throw new Error(`metric ${name}: value ${value} is not finite`);
}
