// Kubernetes MicroTime fields (Event times, Lease renewTime) want RFC 3339 with exactly six
// fractional digits; the agent's Events and Lease and the hooks' wake-up Lease share this.

/** RFC 3339 with microseconds, as MicroTime fields require. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
