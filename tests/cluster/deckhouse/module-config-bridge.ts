// The deckhouse-controller's part, for one module: it watches the `ModuleConfig` named after the
// module (deckhouse.io/v1alpha1, cluster-scoped), validates `spec.settings` against the module's
// `openapi/config-values.yaml` — its `x-deckhouse-validations` CEL rules on the settings as
// written, then the OpenAPI schema (module/settings.ts) — and writes accepted settings and
// `spec.enabled` into the operator ConfigMap as `<moduleCamel>` (YAML) and `<moduleCamel>Enabled`
// — the keys addon-operator reads. Rejected settings leave the ConfigMap alone (the previous
// settings stay in force) and land in `status.message` with each reason (a rule's own message),
// as Deckhouse reports them. In Deckhouse this translation is done by the deckhouse-controller;
// here it is this bridge.
import { stringify } from "yaml";
import { describeError, isNotFound, Reflector, type KubeRest } from "swh-kube-client";
import type { Logger } from "../../../images/agent/src/log.js";
import { camelCaseName, loadModuleSchemas, type ModuleSchemas } from "../module/settings.js";
import type { Discovery } from "../discovery.js";

/** The parts of a ModuleConfig the bridge reads. */
export interface ModuleConfigObject {
  readonly metadata?: { readonly name?: string; readonly generation?: number };
  readonly spec?: {
    readonly enabled?: boolean;
    readonly version?: number;
    readonly settings?: Record<string, unknown>;
  };
  readonly status?: { readonly message?: string; readonly version?: string };
}

/** What the bridge decides for one ModuleConfig (or its absence). Pure. */
export interface BridgeDecision {
  /** ConfigMap data to write; undefined when the settings are rejected. */
  readonly data?: Readonly<Record<string, string>>;
  /** `status.message` for the ModuleConfig. */
  readonly message: string;
}

/** Decides ConfigMap data and status for a ModuleConfig (undefined = deleted: module off). */
export function decide(
  mc: ModuleConfigObject | undefined,
  moduleName: string,
  schemas: ModuleSchemas,
): BridgeDecision {
  const camel = camelCaseName(moduleName);
  if (!mc) return { data: { [`${camel}Enabled`]: "false", [camel]: "{}\n" }, message: "" };
  const settings = mc.spec?.settings ?? {};
  const errors = schemas.validateSettings(structuredClone(settings));
  if (errors.length > 0) {
    return {
      message: `Error: settings are invalid, the module keeps its previous settings: ${errors.join("; ")}`,
    };
  }
  const enabled = mc.spec?.enabled === true;
  return {
    data: { [`${camel}Enabled`]: String(enabled), [camel]: stringify(settings) },
    message: enabled ? "" : "Info: the module is disabled (spec.enabled is not true)",
  };
}

/** Options of the bridge. */
export interface BridgeOptions {
  readonly rest: KubeRest;
  readonly discovery: Discovery;
  readonly log: Logger;
  readonly moduleName: string;
  readonly moduleDir: string;
  readonly configMap: { readonly namespace: string; readonly name: string };
}

/** The ModuleConfig → operator ConfigMap bridge (see file header). */
export class ModuleConfigBridge {
  readonly #o: BridgeOptions;
  readonly #schemas: ModuleSchemas;
  #reflector: Reflector<unknown> | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: BridgeOptions) {
    this.#o = options;
    this.#schemas = loadModuleSchemas(options.moduleDir);
  }

  /** Waits for the ModuleConfig kind to be served, then follows the module's ModuleConfig. */
  async start(): Promise<void> {
    const info = await this.#o.discovery.resolve("deckhouse.io/v1alpha1", "ModuleConfig", 60_000);
    this.#reflector = new Reflector<unknown>({
      name: "moduleconfig",
      rest: this.#o.rest,
      resource: info.plural,
      path: `/apis/deckhouse.io/v1alpha1/${info.plural}`,
      fieldSelector: `metadata.name=${this.#o.moduleName}`,
      transform: raw => raw,
      relistIntervalMs: 5 * 60_000,
      log: this.#o.log,
    });
    this.#reflector.on(event => {
      const mc = event.type === "delete" ? undefined : (event.object as ModuleConfigObject);
      this.#chain = this.#chain.then(() => this.#sync(mc));
    });
    this.#reflector.start();
    if (!(await this.#reflector.waitForSync(60_000))) throw new Error("ModuleConfig list failed");
    // No ModuleConfig at all: the module is off, as in Deckhouse for a non-default module.
    if (this.#reflector.size === 0) this.#chain = this.#chain.then(() => this.#sync(undefined));
  }

  /** Stops following. */
  async stop(): Promise<void> {
    await this.#reflector?.stop();
    await this.#chain;
  }

  async #sync(mc: ModuleConfigObject | undefined): Promise<void> {
    const decision = decide(mc, this.#o.moduleName, this.#schemas);
    try {
      if (decision.data) await this.#writeConfigMap(decision.data);
      if (mc) await this.#writeStatus(mc, decision.message);
      this.#o.log.info("ModuleConfig synced", {
        present: mc !== undefined,
        accepted: decision.data !== undefined,
        message: decision.message,
      });
    } catch (err) {
      this.#o.log.error("ModuleConfig sync failed", { error: describeError(err) });
    }
  }

  async #writeConfigMap(data: Readonly<Record<string, string>>): Promise<void> {
    const { namespace, name } = this.#o.configMap;
    await this.#o.rest.request({
      verb: "patch",
      resource: "configmaps",
      path: `/api/v1/namespaces/${namespace}/configmaps/${name}`,
      query: { fieldManager: "deckhouse-controller", force: true },
      contentType: "application/apply-patch+yaml",
      body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data },
    });
  }

  async #writeStatus(mc: ModuleConfigObject, message: string): Promise<void> {
    const version = String(mc.spec?.version ?? 1);
    if (mc.status?.message === message && mc.status?.version === version) return;
    try {
      await this.#o.rest.request({
        verb: "patch",
        resource: "moduleconfigs",
        path: `/apis/deckhouse.io/v1alpha1/moduleconfigs/${this.#o.moduleName}/status`,
        contentType: "application/merge-patch+json",
        body: { status: { message, version } },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
