// Reading a Prometheus text exposition (an agent's or addon-operator's /metrics) the way the
// scenarios need it: the sum of a metric over its label sets, in all or per value of one label,
// or its samples with their labels.

/**
 * Sum of every sample of `metric` in a Prometheus text exposition (all label sets). Lines of
 * other metrics, including `<metric>_created` or a longer name with the same prefix, are ignored.
 */
export function sumMetric(text: string, metric: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(metric)) continue;
    // `{labels}` (quoted values may hold anything but the last `}`), blanks, then the value.
    const match = /^(?:\{.*\})?[ \t]+(\S+)/.exec(line.slice(metric.length));
    const value = Number(match?.[1]);
    if (match && Number.isFinite(value)) sum += value;
  }
  return sum;
}

/**
 * Like sumMetric, per value of the label `label` (samples without it count under ""). Used for
 * the agents' `swh_agent_watch_restarts_total{informer,reason}` by reason.
 */
export function sumMetricBy(text: string, metric: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const labelRe = new RegExp(`[{,]${label}="((?:[^"\\\\]|\\\\.)*)"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(metric)) continue;
    const match = /^(\{.*\})?[ \t]+(\S+)/.exec(line.slice(metric.length));
    const value = Number(match?.[2]);
    if (!match || !Number.isFinite(value)) continue;
    const key = labelRe.exec(match[1] ?? "")?.[1] ?? "";
    out[key] = (out[key] ?? 0) + value;
  }
  return out;
}

/** One sample of a metric: its labels and value. */
export interface MetricSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Every sample of `metric`, with its labels (label values unescaped). */
export function metricSamples(text: string, metric: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(metric)) continue;
    const match = /^(?:\{(.*)\})?[ \t]+(\S+)/.exec(line.slice(metric.length));
    const value = Number(match?.[2]);
    if (!match || !Number.isFinite(value)) continue;
    const labels: Record<string, string> = {};
    for (const l of (match[1] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] ?? ""] = (l[2] ?? "").replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    out.push({ labels, value });
  }
  return out;
}
