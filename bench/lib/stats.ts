// Small statistics the benchmark reports use: percentiles of latency samples, the median of
// repeated runs, and how a cost grows with size (a least-squares fit on log-log axes, whose slope
// is the growth exponent: 1 is linear, 2 quadratic). Pure functions, no I/O.

/** Summary of a sample set (milliseconds or any unit); NaN fields when empty. */
export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * The p-th percentile (0..100) of ascending `sorted` by the nearest-rank method: the smallest
 * value with at least p% of the samples at or below it. NaN for an empty set.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? NaN;
}

/** Summarises `values` (not modified). */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const n = sorted.length;
  return {
    n,
    min: n === 0 ? NaN : (sorted[0] ?? NaN),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: n === 0 ? NaN : (sorted[n - 1] ?? NaN),
    mean: n === 0 ? NaN : sum / n,
  };
}

/** Median of `values` (mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid] ?? NaN;
  return ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** A line y = intercept + slope * x. */
export interface Line {
  readonly slope: number;
  readonly intercept: number;
}

/** Least-squares line through `points` ([x, y] pairs); NaN slope for fewer than two x values. */
export function fitLine(points: ReadonlyArray<readonly [number, number]>): Line {
  const n = points.length;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) * (x - mx);
    sxy += (x - mx) * (y - my);
  }
  const slope = sxx === 0 ? NaN : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/**
 * Growth exponent of cost `y` in size `x`: the slope of the least-squares line through
 * (log x, log y). About 1 for linear growth; points with a non-positive coordinate are ignored.
 */
export function growthExponent(points: ReadonlyArray<readonly [number, number]>): number {
  const logs = points
    .filter(([x, y]) => x > 0 && y > 0)
    .map(([x, y]) => [Math.log(x), Math.log(y)] as const);
  return fitLine(logs).slope;
}

/** Rounds to `digits` decimals (for reports). */
export function round(value: number, digits = 0): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
