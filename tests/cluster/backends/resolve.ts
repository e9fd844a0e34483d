// DNS from inside a pod (the backend daemon's POST /resolve), as a client-side balancing client
// resolves a headless Service: `A` through the C library's resolver (getaddrinfo: the pod's
// resolv.conf, its search domains and ndots, as most clients resolve), `SRV` through a DNS query
// to the pod's nameserver. A name that does not resolve is an answer too (no addresses, the code).
import { promises as dns } from "node:dns";

/** What POST /resolve takes. */
export interface ResolveRequest {
  readonly name: string;
  readonly type: "A" | "SRV";
}

/** What it answers: addresses (A) or `target:port` (SRV), sorted; `error` the resolver's code. */
export interface ResolveAnswer {
  readonly answers: readonly string[];
  readonly error?: string;
}

/** Validates a POST /resolve body. */
export function resolveRequest(body: Record<string, unknown>): ResolveRequest {
  const { name, type } = body;
  if (typeof name !== "string" || !/^[a-z0-9._-]{1,253}$/i.test(name)) {
    throw new Error("resolve: name must be a DNS name");
  }
  if (type !== "A" && type !== "SRV") throw new Error('resolve: type must be "A" or "SRV"');
  return { name, type };
}

/** Resolves the request's name. */
export async function resolve(req: ResolveRequest): Promise<ResolveAnswer> {
  try {
    const answers =
      req.type === "A"
        ? (await dns.lookup(req.name, { all: true, family: 4 })).map(a => a.address)
        : (await dns.resolveSrv(req.name)).map(r => `${r.name}:${r.port}`);
    return { answers: answers.sort() };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    return { answers: [], error: code };
  }
}
