// Metrics of the operator stand-in, served as Prometheus text: what the hooks report through
// $METRICS_PATH (counters with `add`, gauges with `set`, grouped series replaced batch by batch,
// `expire` clearing a group, a `hook` label added to every series, as addon-operator does) plus
// the stand-in's own counters of hook runs and their duration. Pure state, no I/O.
import type { MetricOperation } from "shell-operator-ts-hooks";

interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly type: "counter" | "gauge";
  value: number;
  readonly group: string | undefined;
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels)
    .sort()
    .map(
      k =>
        `${k}="${String(labels[k]).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`,
    );
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

/** Series store with addon-operator's group semantics (see file header). */
export class MetricsStore {
  readonly #series = new Map<string, Series>();

  /** Applies one hook run's metric operations. */
  applyHookMetrics(hook: string, ops: readonly MetricOperation[]): void {
    const groups = new Set(ops.map(op => op.group).filter((g): g is string => g !== undefined));
    for (const group of groups) this.#expire(hook, group);
    for (const op of ops) {
      if (op.action === "expire" || op.name === undefined) continue;
      if (op.action === "observe") continue; // histograms are not used by this module's hooks
      this.#apply(hook, op);
    }
  }

  /** Adds to a counter of the operator itself. */
  count(name: string, labels: Readonly<Record<string, string>>, value = 1): void {
    this.#upsert({ name, labels, type: "counter", group: undefined }, value, "add");
  }

  /** Sets a gauge of the operator itself. */
  gauge(name: string, labels: Readonly<Record<string, string>>, value: number): void {
    this.#upsert({ name, labels, type: "gauge", group: undefined }, value, "set");
  }

  /** Prometheus text exposition of every series. */
  render(): string {
    const byName = new Map<string, Series[]>();
    for (const s of this.#series.values()) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
    const lines: string[] = [];
    for (const [name, series] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`# TYPE ${name} ${series[0]?.type ?? "gauge"}`);
      for (const s of series) lines.push(`${name}${labelText(s.labels)} ${s.value}`);
    }
    return `${lines.join("\n")}\n`;
  }

  #expire(hook: string, group: string): void {
    for (const [key, s] of this.#series) {
      if (s.group === group && s.labels.hook === hook) this.#series.delete(key);
    }
  }

  #apply(hook: string, op: MetricOperation): void {
    const labels = { ...(op.labels ?? {}), hook };
    const type = op.action === "add" ? "counter" : "gauge";
    this.#upsert({ name: op.name ?? "", labels, type, group: op.group }, op.value ?? 0, op.action);
  }

  #upsert(series: Omit<Series, "value">, value: number, action: string): void {
    const key = `${series.name}${labelText(series.labels)}`;
    const current = this.#series.get(key);
    if (current && action === "add") current.value += value;
    else this.#series.set(key, { ...series, value });
  }
}
