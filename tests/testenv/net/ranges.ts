// Address ranges as the cluster in a box picks them, pure: parsing IPv4 and IPv6 addresses and
// CIDRs, overlap, and the choice of a free 10.<octet>.0.0/16 that no route of the machine covers
// (the real nodes' network, the benchmark's pod network). Kept free of I/O so it is unit-tested.

/** First IPv4 second octet tried (10.244.0.0/16, the kubeadm default pod range); then upwards. */
export const FIRST_OCTET = 244;
/** Last second octet tried. */
export const LAST_OCTET = 254;

/** Parses dotted IPv4 into a 32-bit unsigned number; undefined when it is not IPv4. */
export function ipv4ToNumber(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

/** Parses an IPv6 address (with `::`) into a 128-bit BigInt; undefined when it is not IPv6. */
export function ipv6ToBigInt(text: string): bigint | undefined {
  if (!text.includes(":") || text.split("::").length > 2) return undefined;
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - left.length - right.length;
  if ((tail === undefined && missing !== 0) || missing < 0) return undefined;
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...right];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) + BigInt(Number.parseInt(group, 16));
  }
  return value;
}

/** A range as [first, last] numbers of one family. */
type Span = readonly [bigint, bigint];

/** Parses `addr/len` or a bare address (a host route) into a span; undefined when unparsable. */
export function cidrSpan(cidr: string): Span | undefined {
  const [address = "", lengthText] = cidr.split("/");
  const v4 = ipv4ToNumber(address);
  const bits = v4 === undefined ? 128 : 32;
  const base = v4 === undefined ? ipv6ToBigInt(address) : BigInt(v4);
  if (base === undefined) return undefined;
  const length = lengthText === undefined ? bits : Number(lengthText);
  if (!Number.isInteger(length) || length < 0 || length > bits) return undefined;
  const size = 1n << BigInt(bits - length);
  const first = (base / size) * size;
  return [first, first + size - 1n];
}

/** True when two ranges of the same family share an address. `default` overlaps nothing. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = cidrSpan(a);
  const y = cidrSpan(b);
  if (x === undefined || y === undefined) return false;
  if (a.includes(":") !== b.includes(":")) return false;
  return x[0] <= y[1] && y[0] <= x[1];
}

/** IPv4 pod range for a second octet. */
export function ipv4Cidr(octet: number): string {
  return `10.${octet}.0.0/16`;
}

/** IPv6 (ULA) pod range for a second octet: fd00:10:<octet>::/48. */
export function ipv6Cidr(octet: number): string {
  return `fd00:10:${octet}::/48`;
}

/**
 * The first second octet whose IPv4 (and, when `withIpv6`, IPv6) range overlaps none of the
 * routed destinations (`ip route` dst values, `default` ignored) and none of `taken`.
 */
export function chooseOctet(
  routedDestinations: readonly string[],
  withIpv6: boolean,
  taken: readonly number[] = [],
): number {
  const routes = routedDestinations.filter(d => d !== "default");
  for (let octet = FIRST_OCTET; octet <= LAST_OCTET; octet++) {
    if (taken.includes(octet)) continue;
    const candidates = [ipv4Cidr(octet), ...(withIpv6 ? [ipv6Cidr(octet)] : [])];
    if (candidates.every(c => routes.every(r => !cidrsOverlap(c, r)))) return octet;
  }
  throw new Error(
    `no free pod range between 10.${FIRST_OCTET}.0.0/16 and 10.${LAST_OCTET}.0.0/16 ` +
      `(routed: ${routes.join(", ")})`,
  );
}
