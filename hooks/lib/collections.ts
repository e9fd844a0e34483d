// Small collection helpers the hooks' planners share: a total order on strings that does not
// depend on the locale (plans, logs and status lists must come out the same on every machine)
// and grouping a list by a key while keeping the list's order.

/** Orders two strings by UTF-16 code units, like the default sort: -1, 0 or 1. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Groups `items` by `keyOf`; groups and the items within them keep the order of `items`. */
export function groupBy<T>(items: Iterable<T>, keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [item]);
    else list.push(item);
  }
  return groups;
}
