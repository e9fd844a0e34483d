// Small JSON helpers shared by the parsers and writers: type guards for untrusted input and
// the JSON-lines encoding every protocol output file uses.

import type { JsonObject, JsonValue } from "./types/basics.js";

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One JSON document per line, each line ending with `\n`; empty input gives "". */
export function toJsonLines(items: readonly unknown[]): string {
  return items.map(item => `${JSON.stringify(item)}\n`).join("");
}

/** Parses JSON text, naming `what` in the error. */
export function parseJson(text: string, what: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (cause) {
    throw new Error(`${what} is not valid JSON`, { cause });
  }
}

/** Parses a JSON object, naming `what` in the error; empty text gives `{}`. */
export function parseJsonObject(text: string, what: string): JsonObject {
  if (text.trim() === "") return {};
  const value = parseJson(text, what);
  if (!isJsonObject(value)) throw new Error(`${what} must hold a JSON object`);
  return value;
}
