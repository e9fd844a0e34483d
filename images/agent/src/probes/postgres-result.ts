// How a PostgreSQL probe's query result is judged: the first column of the first row must be
// true. Text values follow PostgreSQL's own boolean input words (plus "1"), case-insensitive,
// so a query may return a boolean, an integer flag or a status text.

const TRUE_WORDS = new Set(["t", "true", "y", "yes", "on", "1"]);

/** Whether a value decoded by node-postgres counts as true. */
export function isTrueValue(value: unknown): boolean {
  switch (typeof value) {
    case "boolean":
      return value;
    case "number":
      return value === 1;
    case "bigint":
      return value === 1n;
    case "string":
      return TRUE_WORDS.has(value.trim().toLowerCase());
    default:
      return false;
  }
}

/** "" when the first column of the first row is true, otherwise why the probe fails. */
export function judgeRows(rows: ReadonlyArray<readonly unknown[]>): string {
  const first = rows[0];
  if (first === undefined) return "query returned no rows";
  if (first.length === 0) return "query returned no columns";
  const value = first[0];
  if (value === null) return "query returned NULL";
  return isTrueValue(value) ? "" : "query returned false";
}
