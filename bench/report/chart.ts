// Line charts as SVG text, for the report's plots (converted to PNG by rsvg-convert): linear or
// logarithmic axes with readable ticks, one coloured line with markers per series, optional
// reference lines (a bar, a floor), a legend. Pure and dependency-free: a charting library would
// need a native canvas build, and these plots need only lines, markers and text.

/** One series: [x, y] points joined in order. */
export interface Series {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** Dashed line (e.g. a reference curve). */
  readonly dashed?: boolean;
  /** Draw markers only, no line (a single measurement, a scatter). */
  readonly markersOnly?: boolean;
  /** Draw the line only, no markers (dense curves such as CDFs). */
  readonly noMarkers?: boolean;
  /** Palette index (default: the series' position), to pair related series by colour. */
  readonly colour?: number;
}

/** A horizontal or vertical reference line with a label. */
export interface ReferenceLine {
  readonly value: number;
  readonly label: string;
}

/** What to draw. */
export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xLog?: boolean;
  readonly yLog?: boolean;
  /** Force the y range to include 0 (linear axes). */
  readonly yFromZero?: boolean;
  readonly series: readonly Series[];
  readonly hLines?: readonly ReferenceLine[];
  readonly vLines?: readonly ReferenceLine[];
}

const WIDTH = 900;
const HEIGHT = 520;
const MARGIN = { left: 90, right: 30, top: 50, bottom: 70 };
const COLOURS = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#17becf",
];
const FONT = "DejaVu Sans, sans-serif";

/** Axis mapping from data to pixels. */
interface Axis {
  readonly min: number;
  readonly max: number;
  readonly log: boolean;
  readonly from: number;
  readonly to: number;
}

function project(axis: Axis, value: number): number {
  const t = axis.log
    ? (Math.log10(value) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min))
    : (value - axis.min) / (axis.max - axis.min);
  return axis.from + t * (axis.to - axis.from);
}

/** Data range, padded on both sides (by a factor on a log axis). */
export function axisRange(
  values: readonly number[],
  log: boolean,
  fromZero: boolean,
): [number, number] {
  const usable = values.filter(v => Number.isFinite(v) && (!log || v > 0));
  if (usable.length === 0) return log ? [1, 10] : [0, 1];
  let min = Math.min(...usable);
  let max = Math.max(...usable);
  // A quarter of the way to the next power of ten on each side keeps edge markers off the frame.
  if (log) return min === max ? [min / 10, max * 10] : [min / 1.25, max * 1.25];
  if (fromZero) min = Math.min(0, min);
  if (min === max) max = min + 1;
  const pad = (max - min) * 0.05;
  return [fromZero && min === 0 ? 0 : min - pad, max + pad];
}

/** Tick values: decades (and 2, 5 within few decades) on a log axis; 1-2-5 steps on a linear one. */
export function ticks(min: number, max: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    const decades = Math.log10(max / min);
    const steps = decades <= 3 ? [1, 2, 5] : [1];
    for (let d = Math.floor(Math.log10(min)); d <= Math.ceil(Math.log10(max)); d++) {
      for (const s of steps) {
        const v = s * 10 ** d;
        if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
      }
    }
    return out;
  }
  const raw = (max - min) / 6;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map(m => m * magnitude).find(s => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

/** Short tick label: 1k, 10k, 0.05, 250. */
export function formatTick(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e3) return `${trim(value / 1e3)}k`;
  return trim(value);
}

function trim(value: number): string {
  return String(Number(value.toPrecision(3)));
}

function escape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function text(x: number, y: number, content: string, attrs = ""): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="${FONT}" ${attrs}>${escape(content)}</text>`;
}

function axes(spec: ChartSpec, x: Axis, y: Axis): string[] {
  const out: string[] = [];
  for (const v of ticks(x.min, x.max, x.log)) {
    const px = project(x, v);
    out.push(`<line x1="${px}" y1="${y.from}" x2="${px}" y2="${y.to}" stroke="#e4e4e4"/>`);
    out.push(text(px, y.from + 20, formatTick(v), 'font-size="13" text-anchor="middle"'));
  }
  for (const v of ticks(y.min, y.max, y.log)) {
    const py = project(y, v);
    out.push(`<line x1="${x.from}" y1="${py}" x2="${x.to}" y2="${py}" stroke="#e4e4e4"/>`);
    out.push(text(x.from - 8, py + 4, formatTick(v), 'font-size="13" text-anchor="end"'));
  }
  out.push(
    `<rect x="${x.from}" y="${y.to}" width="${x.to - x.from}" height="${y.from - y.to}" fill="none" stroke="#444"/>`,
  );
  out.push(
    text(WIDTH / 2, 30, spec.title, 'font-size="18" font-weight="bold" text-anchor="middle"'),
  );
  out.push(
    text((x.from + x.to) / 2, HEIGHT - 22, spec.xLabel, 'font-size="14" text-anchor="middle"'),
  );
  const midY = (y.from + y.to) / 2;
  out.push(
    text(
      22,
      midY,
      spec.yLabel,
      `font-size="14" text-anchor="middle" transform="rotate(-90 22 ${midY})"`,
    ),
  );
  return out;
}

function references(spec: ChartSpec, x: Axis, y: Axis): string[] {
  const out: string[] = [];
  const style = 'stroke="#555" stroke-width="1.5" stroke-dasharray="8 4"';
  for (const line of spec.hLines ?? []) {
    const py = project(y, line.value);
    out.push(`<line x1="${x.from}" y1="${py}" x2="${x.to}" y2="${py}" ${style}/>`);
    out.push(text(x.to - 6, py - 6, line.label, 'font-size="13" text-anchor="end" fill="#333"'));
  }
  for (const line of spec.vLines ?? []) {
    const px = project(x, line.value);
    out.push(`<line x1="${px}" y1="${y.from}" x2="${px}" y2="${y.to}" ${style}/>`);
    // Labels near the right edge go to the left of their line, so they stay inside the plot.
    const right = px < (x.from + x.to) / 2;
    const anchor = right ? "start" : "end";
    out.push(
      text(
        px + (right ? 6 : -6),
        y.to + 16,
        line.label,
        `font-size="13" text-anchor="${anchor}" fill="#333"`,
      ),
    );
  }
  return out;
}

function drawSeries(series: Series, colour: string, x: Axis, y: Axis): string[] {
  const points = series.points
    .filter(
      ([px, py]) =>
        Number.isFinite(px) && Number.isFinite(py) && (!x.log || px > 0) && (!y.log || py > 0),
    )
    .map(([px, py]) => [project(x, px), project(y, py)] as const);
  const out: string[] = [];
  if (!series.markersOnly && points.length > 1) {
    const d = points
      .map(([px, py], i) => `${i === 0 ? "M" : "L"}${px.toFixed(1)},${py.toFixed(1)}`)
      .join(" ");
    const dash = series.dashed ? ' stroke-dasharray="6 5"' : "";
    out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2.5"${dash}/>`);
  }
  if (!series.noMarkers) {
    for (const [px, py] of points)
      out.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="4.5" fill="${colour}"/>`);
  }
  return out;
}

function colourOf(series: Series, position: number): string {
  return COLOURS[(series.colour ?? position) % COLOURS.length] ?? "#000";
}

/** A rectangle in pixels. */
interface Box {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** Samples of the drawn series in pixels: every point, and points along every line. */
function inkSamples(series: readonly Series[], x: Axis, y: Axis): Array<[number, number]> {
  const samples: Array<[number, number]> = [];
  for (const s of series) {
    const points = s.points.map(([vx, vy]) => [project(x, vx), project(y, vy)] as const);
    points.forEach(([px, py], i) => {
      samples.push([px, py]);
      const next = points[i + 1];
      if (s.markersOnly === true || next === undefined) return;
      for (let k = 1; k < 20; k++) {
        samples.push([px + ((next[0] - px) * k) / 20, py + ((next[1] - py) * k) / 20]);
      }
    });
  }
  return samples;
}

/** The legend's place: the inner corner of the plot that covers the fewest drawn samples. */
function legendBox(
  samples: ReadonlyArray<readonly [number, number]>,
  size: { width: number; height: number },
  plot: { left: number; right: number; top: number; bottom: number },
): Box {
  const lefts = [plot.left + 8, plot.right - 8 - size.width];
  const tops = [plot.top + 8, plot.bottom - 8 - size.height];
  const corners = lefts.flatMap(left => tops.map(top => ({ left, top, ...size })));
  const covered = (b: Box): number =>
    samples.filter(
      ([px, py]) => px >= b.left && px <= b.left + b.width && py >= b.top && py <= b.top + b.height,
    ).length;
  return corners.reduce((best, box) => (covered(box) < covered(best) ? box : best));
}

function legend(series: readonly Series[], x: Axis, y: Axis): string[] {
  const out: string[] = [];
  const size = {
    height: series.length * 22 + 10,
    width: Math.max(...series.map(s => s.name.length)) * 7.6 + 50,
  };
  const plot = { left: x.from, right: x.to, top: y.to, bottom: y.from };
  const box = legendBox(inkSamples(series, x, y), size, plot);
  const left = box.left + 6;
  out.push(
    `<rect x="${box.left}" y="${box.top}" width="${box.width}" height="${box.height}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`,
  );
  series.forEach((s, i) => {
    const py = box.top + 18 + i * 22;
    const colour = colourOf(s, i);
    const dash = s.dashed ? ' stroke-dasharray="6 5"' : "";
    out.push(
      `<line x1="${left}" y1="${py - 4}" x2="${left + 28}" y2="${py - 4}" stroke="${colour}" stroke-width="2.5"${dash}/>`,
    );
    out.push(text(left + 36, py, s.name, 'font-size="13"'));
  });
  return out;
}

/** Renders `spec` as an SVG document. */
export function renderChart(spec: ChartSpec): string {
  const xs = [
    ...spec.series.flatMap(s => s.points.map(p => p[0])),
    ...(spec.vLines ?? []).map(l => l.value),
  ];
  const ys = [
    ...spec.series.flatMap(s => s.points.map(p => p[1])),
    ...(spec.hLines ?? []).map(l => l.value),
  ];
  const [xMin, xMax] = axisRange(xs, spec.xLog === true, false);
  const [yMin, yMax] = axisRange(ys, spec.yLog === true, spec.yFromZero === true);
  const x: Axis = {
    min: xMin,
    max: xMax,
    log: spec.xLog === true,
    from: MARGIN.left,
    to: WIDTH - MARGIN.right,
  };
  const y: Axis = {
    min: yMin,
    max: yMax,
    log: spec.yLog === true,
    from: HEIGHT - MARGIN.bottom,
    to: MARGIN.top,
  };
  const body = [
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    ...axes(spec, x, y),
    ...references(spec, x, y),
    ...spec.series.flatMap((s, i) => drawSeries(s, colourOf(s, i), x, y)),
    ...legend(spec.series, x, y),
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">\n${body.join("\n")}\n</svg>\n`;
}

/** Points of the empirical CDF of `samples`: [value, fraction at or below]. */
export function cdfPoints(samples: readonly number[]): Array<[number, number]> {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted.map((v, i) => [v, (i + 1) / sorted.length]);
}
