// Go `time.Duration` strings (`1m30s`, `500ms`, `1.5h`): validation for the shell-operator config
// and conversion to nanoseconds, which is how module-sdk's HookConfig JSON encodes
// `settings.executionMinInterval` for the batch protocol.

const UNIT_NANOS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Nanoseconds of a Go duration string; throws on anything `time.ParseDuration` rejects. */
export function parseGoDuration(text: string): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw new Error(`invalid Go duration ${JSON.stringify(text)}`);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < rest.length) {
    const match = PART.exec(rest);
    if (!match) throw new Error(`invalid Go duration ${JSON.stringify(text)}`);
    total += Number(match[1]) * (UNIT_NANOS[match[2] as string] as number);
  }
  return sign * Math.round(total);
}

/** True when `text` is a valid Go duration string. */
export function isGoDuration(text: string): boolean {
  try {
    parseGoDuration(text);
    return true;
  } catch {
    return false;
  }
}
