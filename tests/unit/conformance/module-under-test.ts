// The module as the conformance tests see it: staged exactly as it ships (scripts/stage-module.sh)
// and rendered by the real helm with addon-operator-shaped values, once with the default settings
// and once per settings example, with every optional CRD module enabled so that every object the
// chart can produce is rendered. Also small helpers over rendered pod controllers.
import { readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import {
  ensureHelm,
  moduleValues,
  renderOrThrow,
  settingsExamples,
  stageModule,
  type RenderedObject,
} from "../../support/helm.js";

/** A staged module and its renders. */
export interface ModuleUnderTest {
  /** The staged module directory. */
  readonly dir: string;
  /** Renders: "defaults" and "example N", each a list of objects. */
  readonly renders: ReadonlyMap<string, readonly RenderedObject[]>;
  /** Removes the staged copy. */
  cleanup(): Promise<void>;
}

/** Stages the module and renders it with the defaults and every settings example. */
export async function loadModuleUnderTest(): Promise<ModuleUnderTest> {
  const helm = ensureHelm();
  const dir = await stageModule();
  const renders = new Map<string, readonly RenderedObject[]>();
  const settings: [string, unknown][] = [
    ["defaults", {}],
    ...settingsExamples().map((s, i): [string, unknown] => [`example ${i}`, s]),
  ];
  for (const [name, value] of settings) {
    renders.set(name, await renderOrThrow(helm, dir, moduleValues(value)));
  }
  return {
    dir,
    renders,
    cleanup: () => rm(dirname(dir), { recursive: true, force: true }),
  };
}

/** Every (render name, object) pair. */
export function allObjects(m: ModuleUnderTest): [string, RenderedObject][] {
  return [...m.renders].flatMap(([name, objects]) =>
    objects.map((o): [string, RenderedObject] => [name, o]),
  );
}

/** `Kind/name` of an object, for assertion messages. */
export const idOf = (o: RenderedObject): string => `${o.kind}/${o.metadata.name}`;

/** Kinds whose objects run pods. */
export const POD_CONTROLLERS = new Set(["Deployment", "DaemonSet", "StatefulSet"]);

/** A container, as far as the conformance rules look. */
export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  env?: { name: string }[];
  ports?: { containerPort: number; hostPort?: number }[];
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string> };
  livenessProbe?: Record<string, unknown>;
  readinessProbe?: Record<string, unknown>;
}

/** A pod template, as far as the conformance rules look. */
export interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: {
    containers: Container[];
    initContainers?: Container[];
    hostNetwork?: boolean;
    dnsPolicy?: string;
    priorityClassName?: string;
    securityContext?: Record<string, unknown>;
  };
}

/** The pod template of a controller. */
export const podOf = (o: RenderedObject): PodTemplate =>
  (o.spec as { template: PodTemplate }).template;

/** Containers and init containers of a controller. */
export function containersOf(o: RenderedObject): Container[] {
  const pod = podOf(o).spec;
  return [...pod.containers, ...(pod.initContainers ?? [])];
}

/** Files under `dir`, as paths relative to it. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(e => e.isFile())
    .map(e => relative(dir, join(e.parentPath, e.name)));
}
