// Semantic equality of EndpointSlices: what the agent would write versus what the API server
// holds. Order does not matter (endpoints, ports, map keys); server-side bookkeeping does not
// matter (resourceVersion, generation, managedFields, timestamps); everything the agent owns
// does (labels, annotations - including a fencing mark it must drop - owner reference,
// address type, ports, endpoints with their conditions, zone, topology hints and targetRefs).

import type { RawEndpoint, RawEndpointPort, RawEndpointSlice } from "swh-kube-client";

function sortedEntries(map: Readonly<Record<string, string>> | undefined): Array<[string, string]> {
  return Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function canonicalPort(p: RawEndpointPort): string {
  return JSON.stringify([p.name ?? "", p.protocol ?? "TCP", p.port ?? null, p.appProtocol ?? ""]);
}

function canonicalTargetRef(t: RawEndpoint["targetRef"]): string[] | null {
  return t ? [t.kind ?? "", t.namespace ?? "", t.name ?? "", t.uid ?? ""] : null;
}

/** Hint names, sorted; the order of hints carries no meaning. */
function canonicalHints(h: RawEndpoint["hints"]): string[][] {
  const names = (list: { name: string }[] | undefined): string[] =>
    (list ?? []).map(x => x.name).sort();
  return [names(h?.forZones), names(h?.forNodes)];
}

function canonicalEndpoint(e: RawEndpoint): string {
  const c = e.conditions ?? {};
  return JSON.stringify([
    [...(e.addresses ?? [])].sort(),
    [c.ready, c.serving, c.terminating].map(v => v ?? null),
    [e.nodeName, e.zone, e.hostname].map(v => v ?? ""),
    canonicalHints(e.hints),
    canonicalTargetRef(e.targetRef),
  ]);
}

/** A canonical string of everything the agent owns in a slice; equal strings = equal slices. */
export function canonicalSlice(slice: RawEndpointSlice): string {
  const meta = slice.metadata ?? {};
  const owners = (meta.ownerReferences ?? [])
    .map(o =>
      JSON.stringify([o.apiVersion, o.kind, o.name, o.uid, !!o.controller, !!o.blockOwnerDeletion]),
    )
    .sort();
  return JSON.stringify([
    slice.addressType,
    sortedEntries(meta.labels),
    sortedEntries(meta.annotations),
    owners,
    (slice.ports ?? []).map(canonicalPort).sort(),
    (slice.endpoints ?? []).map(canonicalEndpoint).sort(),
  ]);
}

/** Canonical forms of objects already seen (store objects are immutable, so this is safe). */
const memo = new WeakMap<RawEndpointSlice, string>();

function canonicalOf(slice: RawEndpointSlice): string {
  let text = memo.get(slice);
  if (text === undefined) {
    text = canonicalSlice(slice);
    memo.set(slice, text);
  }
  return text;
}

/** True when `a` and `b` are the same slice content for the agent's purposes. */
export function slicesEqual(a: RawEndpointSlice, b: RawEndpointSlice): boolean {
  return canonicalOf(a) === canonicalOf(b);
}
