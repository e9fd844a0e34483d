// Unit tests of the address ranges the cluster in a box picks (tests/testenv/net/ranges.ts).
import { chooseOctet, cidrSpan, cidrsOverlap, ipv6ToBigInt } from "../../testenv/net/ranges.js";

describe("address ranges", () => {
  it.each([
    // the kubeadm default range is free: take it
    [["default", "192.0.2.0/24"], 244],
    // 10.244/16 routed (another box): the next one
    [["10.244.0.0/16"], 245],
    // a wider route covering both 10.244 and 10.245
    [["10.0.0.0/8"], undefined],
    // an IPv6 route overlapping fd00:10:244::/48 rules 244 out too
    [["fd00:10:244::/64"], 245],
    // a host route inside 10.246 does not matter for 244
    [["10.246.1.1"], 244],
  ] as const)("routes %j -> octet %s", (routes, want) => {
    if (want === undefined) expect(() => chooseOctet(routes, true)).toThrow(/no free pod range/);
    else expect(chooseOctet(routes, true)).toBe(want);
  });

  it("parses ranges of both families", () => {
    expect(cidrSpan("10.244.0.0/16")).toEqual([BigInt(0x0af40000), BigInt(0x0af4ffff)]);
    expect(ipv6ToBigInt("fd00:10:244::1")).toBe(
      (0xfd00n << 112n) + (0x10n << 96n) + (0x244n << 80n) + 1n,
    );
    expect(ipv6ToBigInt("10.0.0.1")).toBeUndefined();
    expect(cidrsOverlap("10.244.0.0/16", "fd00::/8")).toBe(false);
    expect(cidrsOverlap("fd00::/64", "fd00:10:244::/48")).toBe(false);
    expect(cidrsOverlap("fd00::/8", "fd00:10:244::/48")).toBe(true);
  });
});
