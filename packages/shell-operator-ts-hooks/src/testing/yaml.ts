// YAML fixtures for tests: multi-document manifests, as deckhouse hook tests keep them, parsed
// into the plain objects the test helpers take as snapshots.

import { parseAllDocuments } from "yaml";
import type { JsonObject } from "../types/basics.js";

/** Parses a (multi-document) YAML fixture into objects; empty documents are skipped. */
export function fromYaml(text: string): JsonObject[] {
  return parseAllDocuments(text).flatMap(doc => {
    if (doc.errors.length > 0) throw new Error("invalid YAML fixture", { cause: doc.errors[0] });
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return [];
    if (typeof value !== "object" || Array.isArray(value))
      throw new Error("YAML fixture documents must be objects");
    return [value as JsonObject];
  });
}
