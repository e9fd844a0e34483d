// A tiny mutual-TLS GET for health endpoints (kube-apiserver /readyz, etcd /health), used before
// any Kubernetes client can be trusted to work.
import { request } from "node:https";

/** Client TLS material (PEM contents). */
export interface TlsClient {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Status code and body of a response. */
export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

/** GETs `url` with the client certificate; rejects on network errors or after `timeoutMs`. */
export function httpsGet(url: string, tls: TlsClient, timeoutMs = 2000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", ...tls, timeout: timeoutMs, agent: false }, res => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}
