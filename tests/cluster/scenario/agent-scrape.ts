// Reading the agents' metrics as Deckhouse's Prometheus does: the agent serves /metrics on
// loopback only, and its kube-rbac-proxy sidecar publishes it on the pod address (HTTPS, port
// 8383) to clients it authenticates with the CA of `kube-rbac-proxy-ca.crt` — the box's CA here —
// and authorises with a SubjectAccessReview for daemonsets/prometheus-metrics "agent", which the
// chart grants to user d8-monitoring:scraper (templates/agent/rbac-to-us.yaml). The scraper's
// certificate is made here, signed by the box's CA.
//
// Why each identity carries a group of its own: a client certificate is checked locally, but the
// access review needs the API server. kube-rbac-proxy caches an allowed review for 5 minutes
// (upstream; Deckhouse's fork keeps a stale one for --stale-cache-interval), keyed by user and
// groups. A fresh group makes the first scrape's review fresh, so it lasts through an outage that
// starts right after it — as Prometheus's reviews, refreshed by its scrapes, outlive a short one.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pkiFiles } from "../../testenv/pki.js";
import { stateLayout } from "../../testenv/layout.js";
import { runTool } from "../images/proc.js";
import { AGENT_METRICS_PORT } from "./agent-pods.js";

/** The user the chart lets read the agents' metrics. */
export const SCRAPER_USER = "d8-monitoring:scraper";

/** A client certificate and key (PEM). */
export interface ScraperIdentity {
  readonly cert: string;
  readonly key: string;
}

/** An HTTP answer; status 0 when there was none. */
export interface Scraped {
  readonly status: number;
  readonly body: string;
}

/** Makes a certificate for SCRAPER_USER in a group of its own, signed by the box's CA. */
export async function scraperIdentity(stateDir: string): Promise<ScraperIdentity> {
  const ca = pkiFiles(stateLayout(stateDir).pkiDir);
  const dir = await mkdtemp(join(tmpdir(), "swh-scraper-"));
  try {
    const file = (ext: string): string => join(dir, `scraper.${ext}`);
    const [key, csr, crt, ext] = [file("key"), file("csr"), file("crt"), file("ext")];
    const group = `swh-e2e-scrape-${randomBytes(4).toString("hex")}`;
    await writeFile(ext, "extendedKeyUsage = clientAuth\n");
    await runTool("openssl", [
      "req",
      ...["-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
      ...["-keyout", key, "-out", csr, "-subj", `/O=${group}/CN=${SCRAPER_USER}`],
    ]);
    await runTool("openssl", [
      "x509",
      ...["-req", "-in", csr, "-CA", ca.caCert, "-CAkey", ca.caKey, "-days", "1"],
      ...["-set_serial", `0x${randomBytes(8).toString("hex")}`, "-extfile", ext, "-out", crt],
    ]);
    return { cert: await readFile(crt, "utf8"), key: await readFile(key, "utf8") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * GETs the agent's metrics at pod address `ip` through kube-rbac-proxy. Its serving certificate
 * is self-signed (the chart gives it none), so it is not verified.
 */
export function scrapeAgent(ip: string, id: ScraperIdentity, timeoutMs = 2_000): Promise<Scraped> {
  return new Promise(resolve => {
    const req = request(
      `https://${ip}:${AGENT_METRICS_PORT}/metrics`,
      { ...id, rejectUnauthorized: false, timeout: timeoutMs, agent: false },
      res => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", () => resolve({ status: 0, body: "" }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end();
  });
}
