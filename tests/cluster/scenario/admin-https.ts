// GETs made with the box's admin client certificate where the JSON client does not fit: text
// answers of the API server (a container's log) and endpoints outside it that authenticate
// clients by a certificate of the box's CA (the agents' kube-rbac-proxy, which then asks the API
// server whether the caller may read the metrics).
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { stateLayout } from "../../testenv/layout.js";
import { pkiFiles } from "../../testenv/pki.js";

/** Options of adminGetText. */
export interface AdminGetOptions {
  /**
   * Check the server's certificate against the box's CA (default true). kube-rbac-proxy serves a
   * certificate it made itself, which nothing can check.
   */
  readonly verifyServer?: boolean;
  readonly timeoutMs?: number;
}

/** GETs `url` as the box's admin; resolves with the body of a 2xx answer. */
export function adminGetText(
  stateDir: string,
  url: string,
  opts: AdminGetOptions = {},
): Promise<string> {
  const pki = pkiFiles(stateLayout(stateDir).pkiDir);
  const admin = pki.cert("admin");
  const verify = opts.verifyServer ?? true;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "GET",
        cert: readFileSync(admin.crt),
        key: readFileSync(admin.key),
        ...(verify ? { ca: readFileSync(pki.caCert) } : { rejectUnauthorized: false }),
        timeout: opts.timeoutMs ?? 15_000,
      },
      res => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(body);
          else reject(new Error(`GET ${url}: HTTP ${status}: ${body.slice(0, 200)}`));
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on("error", reject);
    req.end();
  });
}
