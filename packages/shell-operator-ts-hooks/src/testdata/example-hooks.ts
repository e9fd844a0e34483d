// Example hooks used by the transport tests and the README: a small but realistic hook
// (one Service per "App" custom resource, deleting orphans) and one that always fails.

import { defineHook } from "../hook.js";
import type { KubeObject } from "../types/basics.js";

/** What the hook keeps of an App. */
export interface AppSnapshot {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
}

/** What the hook keeps of a Service it manages. */
export interface ServiceSnapshot {
  readonly namespace: string;
  readonly name: string;
}

type Obj = Readonly<Record<string, unknown>>;
const asObj = (value: unknown): Obj | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Obj) : undefined;

/** Validates an App (or its jq projection) and keeps namespace, name and port. */
export function filterApp(input: unknown): AppSnapshot | undefined {
  const metadata = asObj(asObj(input)?.["metadata"]);
  const port = asObj(asObj(input)?.["spec"])?.["port"];
  const name = metadata?.["name"];
  const namespace = metadata?.["namespace"];
  if (typeof name !== "string" || typeof namespace !== "string") return undefined;
  return typeof port === "number" && Number.isInteger(port) ? { namespace, name, port } : undefined;
}

/** Validates a Service (or its jq projection) and keeps namespace and name. */
export function filterService(input: unknown): ServiceSnapshot | undefined {
  const metadata = asObj(asObj(input)?.["metadata"]);
  const name = metadata?.["name"];
  const namespace = metadata?.["namespace"];
  return typeof name === "string" && typeof namespace === "string"
    ? { namespace, name }
    : undefined;
}

/** The Service desired for an App. */
export function serviceFor(app: AppSnapshot): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: app.name,
      namespace: app.namespace,
      labels: { "app.example.com/managed": "true" },
    },
    spec: { selector: { app: app.name }, ports: [{ port: app.port }] },
  };
}

/** One Service per App; Services whose App is gone are deleted. */
export const appServicesHook = defineHook(
  {
    name: "app-services",
    onBeforeHelm: 10,
    kubernetes: {
      apps: {
        name: "apps",
        apiVersion: "example.com/v1",
        kind: "App",
        jqFilter:
          "{metadata: {name: .metadata.name, namespace: .metadata.namespace}, spec: {port: .spec.port}}",
        filter: filterApp,
      },
      services: {
        name: "services",
        apiVersion: "v1",
        kind: "Service",
        labelSelector: { matchLabels: { "app.example.com/managed": "true" } },
        executeHookOnEvent: [],
        filter: filterService,
      },
    },
  },
  ({ snapshots, patches, metrics, values, logger }) => {
    const wanted = new Set(snapshots.apps.map(app => `${app.namespace}/${app.name}`));
    for (const app of snapshots.apps) patches.createOrUpdate(serviceFor(app));
    for (const svc of snapshots.services) {
      if (wanted.has(`${svc.namespace}/${svc.name}`)) continue;
      patches.delete({
        apiVersion: "v1",
        kind: "Service",
        namespace: svc.namespace,
        name: svc.name,
      });
    }
    metrics.set("example_apps", snapshots.apps.length, {}, { group: "example" });
    values.set("exampleModule.internal.appCount", snapshots.apps.length);
    logger.info("reconciled", { apps: snapshots.apps.length });
  },
);

/** Always fails, with a cause. */
export const failingHook = defineHook({ name: "failing", onStartup: 1 }, () => {
  throw new Error("reconcile failed", { cause: new Error("root cause") });
});
