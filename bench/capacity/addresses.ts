// Where the capacity benchmark's probe targets listen: one loopback address per target
// (127.<octet>.<i / 250>.<i % 250 + 1>), all on the same port, so every target looks like a pod
// of its own to the prober (its own address, its own pooled connection) and 10,000 targets need
// only 10,000 listening sockets. Shared by the target servers, the agent driver and the HAProxy
// configuration so all three agree.

/** Second octet of the capacity targets' loopback range (127.77.0.0/16). */
export const TARGET_OCTET = 77;

/** Most targets one /16 of loopback holds with this layout (250 per third octet). */
export const MAX_TARGETS = 256 * 250;

/** Address of target `index` (0-based). */
export function targetAddress(index: number, octet = TARGET_OCTET): string {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_TARGETS) {
    throw new Error(`target index ${index} out of 0..${MAX_TARGETS - 1}`);
  }
  return `127.${octet}.${Math.floor(index / 250)}.${(index % 250) + 1}`;
}

/** Addresses of targets first..first+count-1. */
export function targetAddresses(count: number, first = 0, octet = TARGET_OCTET): string[] {
  return Array.from({ length: count }, (_, i) => targetAddress(first + i, octet));
}
