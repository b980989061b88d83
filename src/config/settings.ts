/**
 * The settings table, derived from {@link configSchema}: for every leaf its config-file key, flag, environment
 * variable, kind, default and description. The CLI builds its options from it and the README's table is
 * generated from it, so a setting is declared once.
 *
 * Names: the key `neo4j.uri` gives the flag `--neo4j-uri` and the variable `STACKVAULT_NEO4J_URI`; a `flag`
 * in the field's metadata overrides the flag and the variable follows it (`retention.keepLast` →
 * `--keep-last`, `STACKVAULT_KEEP_LAST`).
 */
import * as z from "zod";
import { configSchema } from "./schema.ts";
import type { SettingGroup } from "./schema.ts";

/** How a flag or variable's text is turned into a value. */
export type SettingKind = "string" | "number" | "boolean" | "enum" | "list" | "json";

/** One setting: a leaf of the schema. */
export interface Setting {
  /** Dotted config-file key, e.g. `neo4j.uri`. */
  key: string;
  /** The key's path segments. */
  path: readonly string[];
  /** Flag name without dashes, e.g. `neo4j-uri`. */
  flag: string;
  /** Environment variable, e.g. `STACKVAULT_NEO4J_URI`. */
  env: string;
  kind: SettingKind;
  /** Allowed values for `enum` settings. */
  choices?: readonly string[];
  /** The default value, or `undefined` when the setting has none. */
  defaultValue: unknown;
  /** One-line description (help text and README). */
  description: string;
  /** Commands that offer the flag. */
  groups: readonly SettingGroup[];
}

/** Every setting, in schema order. */
export const SETTINGS: readonly Setting[] = Object.freeze(collect(configSchema, []));

/** The setting with this dotted key or flag name, if any. */
export function findSetting(keyOrFlag: string): Setting | undefined {
  return SETTINGS.find((s) => s.key === keyOrFlag || s.flag === keyOrFlag);
}

/**
 * Turns the text of a flag or variable into the setting's type. Returns the text unchanged when it cannot be
 * converted, so that validation reports it with the allowed values.
 */
export function coerce(setting: Setting, text: string): unknown {
  const t = text.trim();
  switch (setting.kind) {
    case "boolean": {
      const lower = t.toLowerCase();
      if (["1", "true", "yes", "on"].includes(lower)) return true;
      if (["0", "false", "no", "off"].includes(lower)) return false;
      return text;
    }
    case "number":
      return t !== "" && Number.isFinite(Number(t)) ? Number(t) : text;
    case "list":
      return t === "" ? [] : t.split(",").map((s) => s.trim()).filter((s) => s !== "");
    case "json":
      try {
        return JSON.parse(t) as unknown;
      } catch {
        return text;
      }
    default:
      return t;
  }
}

/** `[1, 2]` → `1,2`; `undefined` → `(none)`; for help text and the README. */
export function formatDefault(value: unknown): string {
  if (value === undefined) return "(none)";
  if (Array.isArray(value)) return value.length === 0 ? "(empty)" : value.join(",");
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

/**
 * `STACKVAULT_*` variables in `env` that no setting reads (typos such as `STACKVAULT_BUKET`), each with the
 * closest known variable when one is near.
 */
export function unknownEnvVars(env: Readonly<Record<string, string | undefined>>): { name: string; suggestion?: string }[] {
  const known = new Set([...SETTINGS.map((s) => s.env), "STACKVAULT_CONFIG", "STACKVAULT_NEO4J_PASSWORD", "STACKVAULT_QDRANT_API_KEY", "STACKVAULT_REDIS_PASSWORD"]);
  return Object.keys(env)
    .filter((name) => name.startsWith("STACKVAULT_") && !name.startsWith("STACKVAULT_TEST_") && !known.has(name))
    .sort()
    .map((name) => {
      const best = [...known].map((k) => [k, distance(name, k)] as const).sort((a, b) => a[1] - b[1])[0];
      return best !== undefined && best[1] <= 3 ? { name, suggestion: best[0] } : { name };
    });
}

// --- internal ---

interface Meta {
  description?: string;
  flag?: string;
  groups?: SettingGroup[];
}

function collect(schema: z.ZodType, path: string[]): Setting[] {
  const { inner, defaultValue } = unwrap(schema);
  if (inner instanceof z.ZodObject) {
    return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([k, v]) => collect(v, [...path, k]));
  }
  const meta = (z.globalRegistry.get(schema) ?? {}) as Meta;
  const flag = meta.flag ?? path.map(kebab).join("-");
  const kind = kindOf(inner);
  return [{
    key: path.join("."),
    path,
    flag,
    env: `STACKVAULT_${flag.replace(/-/g, "_").toUpperCase()}`,
    kind,
    ...(inner instanceof z.ZodEnum ? { choices: inner.options.map(String) } : {}),
    defaultValue,
    description: meta.description ?? path.join(" "),
    groups: meta.groups ?? [],
  }];
}

function unwrap(schema: z.ZodType): { inner: z.ZodType; defaultValue: unknown } {
  let node: z.ZodType = schema;
  let defaultValue: unknown;
  for (;;) {
    if (node instanceof z.ZodDefault || node instanceof z.ZodPrefault) {
      defaultValue ??= node.def.defaultValue;
      node = node.def.innerType as z.ZodType;
    } else if (node instanceof z.ZodOptional) {
      node = node.def.innerType as z.ZodType;
    } else {
      return { inner: node, defaultValue };
    }
  }
}

function kindOf(schema: z.ZodType): SettingKind {
  if (schema instanceof z.ZodBoolean) return "boolean";
  if (schema instanceof z.ZodNumber) return "number";
  if (schema instanceof z.ZodEnum) return "enum";
  if (schema instanceof z.ZodArray) return "list";
  if (schema instanceof z.ZodRecord) return "json";
  return "string";
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
