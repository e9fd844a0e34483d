// Schedule bindings for the operator stand-in: crontabs in robfig/cron's grammar (what
// shell-operator uses): 5 fields, or 6 with seconds first; `*`, `?`, lists, ranges, steps, month
// and weekday names; `@hourly`-style descriptors and `@every <Go duration>`. Pure: a crontab
// becomes a predicate over whole seconds, evaluated by a once-a-second tick.
import { parseGoDuration } from "shell-operator-ts-hooks";

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldRange {
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly nameBase?: number;
}

const SECONDS: FieldRange = { min: 0, max: 59 };
const MINUTES: FieldRange = { min: 0, max: 59 };
const HOURS: FieldRange = { min: 0, max: 23 };
const DOM: FieldRange = { min: 1, max: 31 };
const MONTH: FieldRange = { min: 1, max: 12, names: MONTHS, nameBase: 1 };
const DOW: FieldRange = { min: 0, max: 7, names: DAYS, nameBase: 0 };

const DESCRIPTORS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 0 1 1 *",
  "@annually": "0 0 0 1 1 *",
  "@monthly": "0 0 0 1 * *",
  "@weekly": "0 0 0 * * 0",
  "@daily": "0 0 0 * * *",
  "@midnight": "0 0 0 * * *",
  "@hourly": "0 0 * * * *",
};

/** When a schedule fires: `matches(t)` for a whole second `t` (ms since the epoch, UTC). */
export interface Schedule {
  matches(epochMs: number): boolean;
}

function valueOf(token: string, range: FieldRange): number {
  const index = range.names?.indexOf(token.toUpperCase()) ?? -1;
  const n = index >= 0 ? index + (range.nameBase ?? 0) : /^\d+$/.test(token) ? Number(token) : NaN;
  if (!(n >= range.min && n <= range.max)) throw new Error(`${JSON.stringify(token)} out of range`);
  return n;
}

/** The set of values a field allows; `star` tells whether it was `*`/`?` (for day matching). */
export function parseField(
  field: string,
  range: FieldRange,
): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of field.split(",")) {
    const [span = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in ${JSON.stringify(part)}`);
    let low: number;
    let high: number;
    if (span === "*" || span === "?") {
      [low, high] = [range.min, range.max];
      star ||= stepText === undefined;
    } else {
      const [a = "", b] = span.split("-");
      low = valueOf(a, range);
      high = b === undefined ? (stepText === undefined ? low : range.max) : valueOf(b, range);
    }
    if (low > high) throw new Error(`empty range ${JSON.stringify(span)}`);
    for (let v = low; v <= high; v += step) values.add(v);
  }
  return { values, star };
}

/** Parses a crontab (see file header); throws with the crontab in the message when invalid. */
export function parseCrontab(crontab: string): Schedule {
  const text = crontab.trim();
  try {
    const every = /^@every\s+(\S+)$/.exec(text);
    if (every) {
      const ms = parseGoDuration(every[1] ?? "") / 1e6;
      const period = Math.max(1000, Math.round(ms / 1000) * 1000);
      return { matches: t => Math.floor(t / 1000) % (period / 1000) === 0 };
    }
    const expanded = DESCRIPTORS[text] ?? text;
    const fields = expanded.split(/\s+/);
    if (fields.length === 5) fields.unshift("0");
    if (fields.length !== 6) throw new Error(`${fields.length} fields, want 5 or 6`);
    const [s, m, h, dom, mon, dow] = fields.map((f, i) =>
      parseField(f, [SECONDS, MINUTES, HOURS, DOM, MONTH, DOW][i] as FieldRange),
    ) as [ReturnType<typeof parseField>, ...ReturnType<typeof parseField>[]];
    return {
      matches: t => {
        const d = new Date(t);
        const dayOk = dayMatches(d, dom!, dow!);
        return (
          s.values.has(d.getUTCSeconds()) &&
          m!.values.has(d.getUTCMinutes()) &&
          h!.values.has(d.getUTCHours()) &&
          mon!.values.has(d.getUTCMonth() + 1) &&
          dayOk
        );
      },
    };
  } catch (err) {
    throw new Error(`invalid crontab ${JSON.stringify(crontab)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Day-of-month and day-of-week: both must match, unless one is `*` (then the other decides). */
function dayMatches(
  d: Date,
  dom: { values: Set<number>; star: boolean },
  dow: { values: Set<number>; star: boolean },
): boolean {
  const day = d.getUTCDay();
  const domOk = dom.values.has(d.getUTCDate());
  const dowOk = dow.values.has(day) || (day === 0 && dow.values.has(7));
  if (dom.star || dow.star) return domOk && dowOk;
  return domOk || dowOk;
}
