// Renders an error and its `cause` chain as one line, so a failing hook's stderr (which the
// operator attaches to the failed task) says what failed and why.

/** `outer: inner: innermost`, following `cause` links (at most 10, cycles stopped). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && parts.length < 10 && !seen.has(current)) {
    seen.add(current);
    if (current instanceof Error) {
      parts.push(current.message || current.name);
      current = current.cause;
    } else {
      parts.push(typeof current === "string" ? current : safeJson(current));
      current = undefined;
    }
  }
  return parts.join(": ");
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
