// The module's settings schema (openapi/config-values.yaml) as the docs tests read it: the list
// of settings a reader sets (by dotted path) and how the docs write a setting's default.

import { readFileSync } from "node:fs";
import { parse } from "yaml";

/** The parts of an OpenAPI schema node the settings use. */
export interface SettingSchema {
  type?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  properties?: Record<string, SettingSchema>;
  additionalProperties?: unknown;
  items?: SettingSchema;
  [keyword: string]: unknown;
}

/** One documented setting: its dotted path and its schema. */
export interface Setting {
  readonly path: string;
  readonly schema: SettingSchema;
}

/** The parsed openapi/config-values.yaml. */
export function loadSettingsSchema(): SettingSchema {
  const url = new URL("../../../openapi/config-values.yaml", import.meta.url);
  try {
    return parse(readFileSync(url, "utf8")) as SettingSchema;
  } catch (cause) {
    throw new Error(`cannot read ${url.pathname}`, { cause });
  }
}

/**
 * The settings a reader sets: every schema node that is not an object with declared properties
 * (scalars, lists, free-form maps), by dotted path. Objects with properties only group them.
 */
export function leafSettings(node: SettingSchema, prefix = ""): Setting[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    return child.type === "object" && child.properties
      ? leafSettings(child, path)
      : [{ path, schema: child }];
  });
}

/** How a default is written in the Default column: `` `value` ``, or `—` without one. */
export function defaultCell(value: unknown): string {
  if (value === undefined) return "—";
  return `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;
}
