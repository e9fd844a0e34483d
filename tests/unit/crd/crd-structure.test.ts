// The CRD manifest's shape: what the API server, kubectl, dmt and the Deckhouse CRD installer
// read from it (API version, labels, names, printer columns), and the properties that keep its
// CEL rules within the API server's cost budget and its docs complete.
import {
  celRules,
  loadCrd,
  openApiSchema,
  walkSchema,
  type StructuralSchema,
} from "../../support/crd-schema.js";
import {
  GROUP,
  LABEL_HERITAGE,
  LABEL_MODULE,
  HERITAGE_VALUE,
  MODULE_NAME,
  SWH_KIND,
  SWH_PLURAL,
  VERSION,
} from "../../../api/contract.js";
import { HEALTHCHECK_DEFAULTS, SWH_LIMITS } from "../../../api/v1alpha1.js";

const crd = loadCrd();
const schema = openApiSchema(crd);

/** Every schema node with its path. */
const nodes: Array<[string, StructuralSchema]> = [];
walkSchema(schema, (node, path) => nodes.push([path, node]));
const nodeAt = (path: string): StructuralSchema => {
  const found = nodes.find(([p]) => p === path);
  if (!found) throw new Error(`no schema node at ${path}`);
  return found[1];
};

describe("CRD identity", () => {
  it("is an apiextensions.k8s.io/v1 CRD named after its plural and group", () => {
    expect(crd.apiVersion).toBe("apiextensions.k8s.io/v1");
    expect(crd.kind).toBe("CustomResourceDefinition");
    expect(crd.metadata.name).toBe(`${SWH_PLURAL}.${GROUP}`);
    expect(crd.spec.group).toBe(GROUP);
    expect(crd.spec.scope).toBe("Namespaced");
  });

  it("carries the labels Deckhouse requires on module CRDs", () => {
    expect(crd.metadata.labels).toEqual({
      [LABEL_HERITAGE]: HERITAGE_VALUE,
      [LABEL_MODULE]: MODULE_NAME,
    });
  });

  it("has the Go implementation's names plus the swh short name", () => {
    expect(crd.spec.names).toEqual({
      kind: SWH_KIND,
      listKind: `${SWH_KIND}List`,
      plural: SWH_PLURAL,
      singular: "servicewithhealthcheck",
      shortNames: ["swh"],
      categories: ["all"],
    });
  });

  it("serves and stores exactly v1alpha1, with the status subresource", () => {
    expect(crd.spec.versions).toHaveLength(1);
    const [version] = crd.spec.versions;
    expect(version).toMatchObject({ name: VERSION, served: true, storage: true });
    expect(version!.subresources).toEqual({ status: {} });
  });

  it("prints type, ready/total, cluster IP, external IP, ports and age", () => {
    const columns = crd.spec.versions[0]!.additionalPrinterColumns!.map(c => [
      c.name,
      c.type,
      c.jsonPath,
    ]);
    expect(columns).toEqual([
      ["Type", "string", ".spec.type"],
      ["Ready", "string", ".status.readySummary"],
      ["Cluster-IP", "string", ".status.clusterIP"],
      ["External-IP", "string", ".status.loadBalancer.ingress[0].ip"],
      ["Ports", "string", ".spec.ports[*].port"],
      ["Age", "date", ".metadata.creationTimestamp"],
    ]);
  });

  it("points every printer column at a field the schema declares", () => {
    for (const column of crd.spec.versions[0]!.additionalPrinterColumns!) {
      if (column.jsonPath === ".metadata.creationTimestamp") continue;
      const path = column.jsonPath.replace(/\[(\*|\d+)\]/g, "[]");
      expect(nodes.map(([p]) => p)).toContain(path);
    }
  });
});

describe("CRD schema", () => {
  it("declares the Service fields of BRIEF §3 and healthcheck, and no selector-only extras", () => {
    expect(Object.keys(schema.properties!.spec!.properties!).sort()).toEqual(
      [
        "allocateLoadBalancerNodePorts",
        "clusterIP",
        "clusterIPs",
        "externalIPs",
        "externalName",
        "externalTrafficPolicy",
        "healthCheckNodePort",
        "healthcheck",
        "internalTrafficPolicy",
        "ipFamilies",
        "ipFamilyPolicy",
        "loadBalancerClass",
        "loadBalancerIP",
        "loadBalancerSourceRanges",
        "ports",
        "publishNotReadyAddresses",
        "selector",
        "sessionAffinity",
        "sessionAffinityConfig",
        "trafficDistribution",
        "type",
      ].sort(),
    );
  });

  it("gives every list a maxItems, so the CEL cost estimator can bound the rules", () => {
    const unbounded = nodes.filter(([, n]) => n.type === "array" && n.maxItems === undefined);
    expect(unbounded.map(([p]) => p)).toEqual([]);
  });

  it("bounds every free-form string with maxLength (int-or-string included)", () => {
    const freeForm = (n: StructuralSchema): boolean =>
      (n.type === "string" || n["x-kubernetes-int-or-string"] === true) &&
      n.enum === undefined &&
      n.format !== "date-time";
    // apiVersion, kind and metadata.name are checked by the API server itself.
    const exempt = new Set([".apiVersion", ".kind", ".metadata.name"]);
    const unbounded = nodes.filter(
      ([p, n]) => freeForm(n) && n.maxLength === undefined && !exempt.has(p),
    );
    expect(unbounded.map(([p]) => p)).toEqual([]);
  });

  it("keeps its list sizes equal to SWH_LIMITS in api/v1alpha1.ts", () => {
    expect({
      ports: nodeAt(".spec.ports").maxItems,
      probes: nodeAt(".spec.healthcheck.probes").maxItems,
      httpHeaders: nodeAt(".spec.healthcheck.probes[].http.httpHeaders").maxItems,
      expectedStatusCodes: nodeAt(".spec.healthcheck.probes[].http.expectedStatusCodes").maxItems,
      conversation: nodeAt(".spec.healthcheck.probes[].tcp.conversation").maxItems,
      conditions: nodeAt(".status.conditions").maxItems,
      endpointStatuses: nodeAt(".status.endpointStatuses").maxItems,
      failedProbes: nodeAt(".status.endpointStatuses[].failedProbes").maxItems,
    }).toEqual(SWH_LIMITS);
    expect(SWH_LIMITS.failedProbes).toBeGreaterThanOrEqual(SWH_LIMITS.probes);
  });

  it("gives every CEL rule a static message that names a field", () => {
    const rules = celRules(schema);
    expect(rules.length).toBeGreaterThanOrEqual(30);
    for (const rule of rules) {
      expect(rule.messageExpression).toBeUndefined();
      expect(rule.message).toMatch(
        /^(metadata|spec|probes|http|postgreSQL|grpc|targetPort)[.\w[\]]*\b/,
      );
    }
  });

  it("puts cross-field rules on the offending field with fieldPath, relative to the rule's node", () => {
    for (const rule of celRules(schema).filter(r => r.fieldPath !== undefined)) {
      const target = `${rule.path}${rule.fieldPath!}`;
      expect(nodes.map(([p]) => p)).toContain(target);
    }
  });

  it("rejects ExternalName in a CEL rule, not an enum, so the API server shows why", () => {
    const type = nodeAt(".spec.type");
    expect(type.enum).toBeUndefined();
    const messages = (type["x-kubernetes-validations"] ?? []).map(r => r.message);
    expect(messages.join("\n")).toMatch(/ExternalName is not supported: .*no endpoints/);
  });

  it("marks int-or-string fields the structural way: no type, integer|string anyOf", () => {
    const intOrString = nodes.filter(([, n]) => n["x-kubernetes-int-or-string"] === true);
    expect(intOrString.map(([p]) => p)).toEqual([
      ".spec.ports[].targetPort",
      ".spec.healthcheck.probes[].tcp.targetPort",
      ".spec.healthcheck.probes[].http.targetPort",
      ".spec.healthcheck.probes[].http.expectedStatusCodes[]",
      ".spec.healthcheck.probes[].postgreSQL.targetPort",
      ".spec.healthcheck.probes[].grpc.targetPort",
    ]);
    for (const [, node] of intOrString) {
      expect(node.type).toBeUndefined();
      expect(node.anyOf).toEqual([{ type: "integer" }, { type: "string" }]);
    }
  });

  it("defaults list-map keys or requires them, as the API server demands", () => {
    for (const [path, node] of nodes.filter(([, n]) => n["x-kubernetes-list-type"] === "map")) {
      for (const key of node["x-kubernetes-list-map-keys"] ?? []) {
        const item = node.items!;
        const ok = item.required?.includes(key) || item.properties?.[key]?.default !== undefined;
        expect([path, key, ok]).toEqual([path, key, true]);
      }
    }
  });

  it("uses CamelCase enum values (dmt's openapi enum rule)", () => {
    const values = nodes.flatMap(([, n]) => (n.enum ?? []) as string[]);
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(value).toMatch(/^[A-Z][A-Za-z0-9]*$/);
  });

  it("describes every field (they become kubectl explain and docs/CR.md)", () => {
    const undocumented = nodes.filter(
      ([p, n]) =>
        !p.endsWith("[]") && !p.endsWith("{}") && !p.startsWith(".metadata") && !n.description,
    );
    expect(undocumented.map(([p]) => p)).toEqual([]);
  });

  it("defaults healthcheck fields to HEALTHCHECK_DEFAULTS", () => {
    const probe = ".spec.healthcheck.probes[]";
    expect({
      initialDelaySeconds: nodeAt(".spec.healthcheck.initialDelaySeconds").default,
      periodSeconds: nodeAt(".spec.healthcheck.periodSeconds").default,
      timeoutSeconds: nodeAt(`${probe}.timeoutSeconds`).default,
      successThreshold: nodeAt(`${probe}.successThreshold`).default,
      failureThreshold: nodeAt(`${probe}.failureThreshold`).default,
      httpMethod: nodeAt(`${probe}.http.method`).default,
      httpScheme: nodeAt(`${probe}.http.scheme`).default,
      postgresQuery: nodeAt(`${probe}.postgreSQL.query`).default,
      grpcScheme: nodeAt(`${probe}.grpc.scheme`).default,
    }).toEqual(HEALTHCHECK_DEFAULTS);
  });

  it("keeps the Go bounds of the healthcheck timing", () => {
    expect(nodeAt(".spec.healthcheck.initialDelaySeconds")).toMatchObject({
      minimum: 0,
      maximum: 108000,
    });
    expect(nodeAt(".spec.healthcheck.periodSeconds")).toMatchObject({
      minimum: 1,
      maximum: 108000,
    });
    expect(nodeAt(".spec.healthcheck.probes").minItems).toBe(1);
    expect(nodeAt(".spec")?.required).toBeUndefined();
  });
});
