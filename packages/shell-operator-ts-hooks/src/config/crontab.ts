// Crontab validation for schedule bindings. shell-operator parses crontabs with robfig/cron
// (5 fields, or 6 with seconds first, plus `@every <duration>` and the `@hourly`-style
// descriptors); its JSON schema only says "string", so a bad crontab would surface at operator
// start. We check the same grammar up front so `--config` never prints one.

import { isGoDuration } from "./duration.js";

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldSpec {
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Value of names[0]. */
  readonly nameBase?: number;
}

const SECOND: FieldSpec = { min: 0, max: 59 };
const FIVE_FIELDS: readonly FieldSpec[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { min: 0, max: 7, names: DAYS, nameBase: 0 },
];
const DESCRIPTORS = new Set([
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
]);

/** Why `crontab` is invalid, or `undefined` when it is valid. */
export function crontabError(crontab: string): string | undefined {
  const text = crontab.trim();
  if (text.startsWith("@")) return descriptorError(text);
  const fields = text.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `crontab ${JSON.stringify(crontab)} has ${fields.length} fields, want 5 or 6`;
  }
  const specs = fields.length === 6 ? [SECOND, ...FIVE_FIELDS] : FIVE_FIELDS;
  for (let i = 0; i < fields.length; i++) {
    const error = fieldError(fields[i] as string, specs[i] as FieldSpec);
    if (error) return `crontab ${JSON.stringify(crontab)} field ${i + 1}: ${error}`;
  }
  return undefined;
}

function descriptorError(text: string): string | undefined {
  if (DESCRIPTORS.has(text)) return undefined;
  const every = /^@every\s+(\S+)$/.exec(text);
  if (every && isGoDuration(every[1] as string)) return undefined;
  return `unknown crontab descriptor ${JSON.stringify(text)}`;
}

function fieldError(field: string, spec: FieldSpec): string | undefined {
  for (const part of field.split(",")) {
    const error = partError(part, spec);
    if (error) return error;
  }
  return undefined;
}

/** One list element: `*` or `?` or `a` or `a-b`, optionally `/step`. */
function partError(part: string, spec: FieldSpec): string | undefined {
  const [range = "", step, extra] = part.split("/");
  if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) {
    return `bad step in ${JSON.stringify(part)}`;
  }
  if (range === "*" || range === "?") return undefined;
  const bounds = range.split("-");
  if (bounds.length > 2) return `bad range ${JSON.stringify(range)}`;
  const values = bounds.map(bound => valueOf(bound, spec));
  if (values.some(v => v === undefined)) return `${JSON.stringify(range)} is out of range`;
  const [low, high = low] = values as number[];
  return (low as number) <= (high as number) ? undefined : `empty range ${JSON.stringify(range)}`;
}

function valueOf(token: string, spec: FieldSpec): number | undefined {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    return n >= spec.min && n <= spec.max ? n : undefined;
  }
  const index = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  return index < 0 ? undefined : index + (spec.nameBase ?? 0);
}
