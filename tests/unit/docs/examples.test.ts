// Every ServiceWithHealthchecks a reader can copy from the docs must apply: each one in a ```yaml
// block of any page (EXAMPLES first of all) is checked against the CRD's structural schema with
// the CRD's defaults, as the API server checks it (CEL rules need a real API server and are not
// evaluated here). EXAMPLES must also cover the scenarios the module is for, and carry the
// platform's own seed manifests unchanged, with the credentials Secret made the seed's way.
import { parseAllDocuments } from "yaml";
import { createValidator } from "../../support/crd-schema.js";
import {
  ANNOTATION_ALLOW_ADOPTION,
  ANNOTATION_DRAIN_FROM,
  SWH_API_VERSION,
  SWH_KIND,
} from "../../../api/contract.js";
import type { ServiceWithHealthchecks } from "../../../api/v1alpha1.js";
import { loadManifestFixtures } from "../../fixtures/manifests/fixtures.js";
import { codeBlocks, listDocs, readDoc } from "./markdown.js";

/** A ServiceWithHealthchecks found in a page, with where it was found. */
interface FoundSwh {
  readonly page: string;
  readonly line: number;
  readonly object: ServiceWithHealthchecks;
}

/** Every document of every ```yaml block of a page whose kind is ServiceWithHealthchecks. */
export function swhExamples(page: string, text: string): FoundSwh[] {
  return codeBlocks(text)
    .filter(block => block.lang === "yaml")
    .flatMap(block =>
      parseAllDocuments(block.content).map(doc => ({
        page,
        line: block.line,
        object: doc.toJS() as ServiceWithHealthchecks,
      })),
    )
    .filter(found => (found.object as { kind?: unknown } | null)?.kind === SWH_KIND);
}

const check = createValidator();
const all = listDocs().flatMap(page => swhExamples(page, readDoc(page)));
const label = (f: FoundSwh): string => `${f.page}:${f.line} ${f.object.metadata?.name ?? "?"}`;

describe("ServiceWithHealthchecks examples in docs/", () => {
  it("are found", () => {
    expect(all.filter(f => f.page.startsWith("EXAMPLES")).length).toBeGreaterThanOrEqual(20);
  });

  it.each(all.map(f => [label(f), f]))("%s passes the CRD schema", (_label, found) => {
    const result = check(found.object);
    expect(result.errors.map(e => e.text)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(found.object).toMatchObject({
      apiVersion: SWH_API_VERSION,
      metadata: { name: expect.any(String), namespace: expect.any(String) },
    });
  });
});

describe.each(["EXAMPLES.md", "EXAMPLES_RU.md"])("%s", page => {
  const text = readDoc(page);
  const found = swhExamples(page, text).map(f => f.object);
  const shell = codeBlocks(text)
    .filter(block => block.lang === "shell")
    .map(block => block.content)
    .join("\n");
  const probes = found.flatMap(swh => swh.spec.healthcheck?.probes ?? []);

  it.each(loadManifestFixtures("seed").map(seed => [seed.file, seed]))(
    "carries the seed manifest %s with the same spec",
    (_file, seed) => {
      const name = (seed.object.metadata as { name: string }).name;
      const same = found.find(swh => swh.metadata.name === name);
      expect(same?.spec).toEqual(seed.object.spec);
    },
  );

  it("creates the credentials Secret with `d8 k create secret generic` under the probes' name", () => {
    const secretNames = probes.flatMap(p => p.postgreSQL?.authSecretName ?? []);
    expect(secretNames.length).toBeGreaterThan(0);
    for (const name of new Set(secretNames)) {
      expect(shell).toMatch(
        new RegExp(
          `d8 k -n \\S+ create secret generic ${name} --from-literal=user=\\S+ --from-literal=password=\\S+`,
        ),
      );
    }
  });

  it("shows HTTPS with caCert and custom status codes", () => {
    expect(probes.some(p => p.http?.scheme === "HTTPS" && p.http.caCert !== undefined)).toBe(true);
    expect(probes.some(p => (p.http?.expectedStatusCodes ?? []).length > 0)).toBe(true);
  });

  it("shows a headless resource and a load balancer with externalTrafficPolicy Local", () => {
    expect(found.some(swh => swh.spec.clusterIP === "None")).toBe(true);
    expect(
      found.some(
        swh => swh.spec.type === "LoadBalancer" && swh.spec.externalTrafficPolicy === "Local",
      ),
    ).toBe(true);
  });

  it("shows the seed's postgres-write with a fast re-check interval", () => {
    const fast = found.filter(swh => swh.metadata.name === "postgres-write").slice(1);
    const probe = fast[0]?.spec.healthcheck?.probes?.[0];
    expect(probe?.recheckIntervalMilliseconds).toBe(1000);
    expect(probe?.postgreSQL?.query).toBe("SELECT NOT pg_is_in_recovery()");
  });

  it("shows the seed's postgres-read with fail-open", () => {
    const open = found.filter(swh => swh.metadata.name === "postgres-read").slice(1);
    expect(open[0]?.spec.healthcheck?.failOpen).toEqual({ minPassingPercent: 50 });
    expect(open[0]?.spec.healthcheck?.probes?.[0]?.postgreSQL?.query).toBe("SELECT 1");
  });

  it("shows the seed's smtp with an SMTP conversation, and a Redis PING", () => {
    const smtp = found.filter(swh => swh.metadata.name === "smtp").slice(1);
    expect(smtp[0]?.spec.healthcheck?.probes?.[0]?.tcp?.conversation).toEqual([
      { expect: { prefix: "220" } },
      { send: "EHLO swh-probe" },
      { expect: { prefix: "250" } },
      { send: "QUIT" },
    ]);
    const redis = found.find(swh => swh.metadata.name === "redis");
    expect(redis?.spec.healthcheck?.probes?.[0]?.tcp?.conversation).toEqual([
      { send: "PING" },
      { expect: { contains: "+PONG" } },
    ]);
  });

  it("shows requirePodReady and all four probe modes", () => {
    expect(found.some(swh => swh.spec.healthcheck?.requirePodReady === true)).toBe(true);
    expect(new Set(probes.map(p => p.mode))).toEqual(
      new Set(["TCP", "HTTP", "PostgreSQL", "GRPC"]),
    );
  });

  it("shows a headless gRPC backend probed with gRPC health for one service", () => {
    const grpc = found.find(swh => swh.spec.healthcheck?.probes?.[0]?.mode === "GRPC");
    expect(grpc?.spec.clusterIP).toBe("None");
    expect(grpc?.spec.healthcheck?.probes?.[0]?.grpc).toEqual({
      targetPort: "grpc",
      service: "shop.v1.Orders",
    });
  });

  it("shows draining the VM pod from web with the drain annotation, and undoing it", () => {
    const pod = "annotate pod virt-launcher-my-vm-7xk2p";
    expect(shell).toContain(`${pod} ${ANNOTATION_DRAIN_FROM}=web`);
    expect(shell).toContain(`${pod} ${ANNOTATION_DRAIN_FROM}-`);
  });

  it("shows the migration from a plain Service with the adoption annotation", () => {
    expect(shell).toContain(`annotate service web ${ANNOTATION_ALLOW_ADOPTION}=true`);
    expect(found.some(swh => swh.metadata.name === "web" && swh.spec.selector?.app === "web")).toBe(
      true,
    );
  });
});

describe("the schema check", () => {
  it("rejects a broken example (the check really runs)", () => {
    const broken = structuredClone(all[0]!.object);
    broken.spec.ports = [{ port: 70000 }];
    expect(check(broken).valid).toBe(false);
  });
});
