// The metric operations a hook collects (`$METRICS_PATH`): counters, gauges, histograms and
// metric groups, and the collector.

/** Metric labels. */
export type MetricLabels = Readonly<Record<string, string>>;

/** Options for counter and gauge operations. */
export interface MetricOptions {
  /** Metric group: each run's batch for a group replaces the group's previous series. */
  group?: string;
}

/** One line of `$METRICS_PATH` (reference A.6). */
export interface MetricOperation {
  readonly name?: string;
  readonly action: "add" | "set" | "observe" | "expire";
  readonly value?: number;
  readonly buckets?: readonly number[];
  readonly labels?: MetricLabels;
  readonly group?: string;
}

/** Collects metric operations. */
export interface MetricsCollector {
  /** Adds 1 to a counter. */
  inc(name: string, labels?: MetricLabels, opts?: MetricOptions): void;
  /** Adds `value` to a counter. */
  add(name: string, value: number, labels?: MetricLabels, opts?: MetricOptions): void;
  /** Sets a gauge. */
  set(name: string, value: number, labels?: MetricLabels, opts?: MetricOptions): void;
  /** Observes a histogram sample (not supported for grouped metrics). */
  observe(name: string, value: number, buckets: readonly number[], labels?: MetricLabels): void;
  /** Drops every series of a group. */
  expire(group: string): void;
  /** Everything collected, in order. */
  metrics(): readonly MetricOperation[];
}
