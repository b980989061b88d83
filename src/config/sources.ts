/**
 * The three sources of settings, each turned into a partial config plus where each value came from:
 * the config file, `STACKVAULT_*` variables and command-line flags.
 */
import { access, readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../core/errors.ts";
import { SETTINGS, coerce, findSetting } from "./settings.ts";

/** Settings from one source: a nested partial object and, per dotted key, a description of the origin. */
export interface Layer {
  values: Record<string, unknown>;
  origins: Map<string, string>;
}

/** File names looked for in the working directory, in this order. */
export const CONFIG_FILE_NAMES = ["stackvault.config.json", "stackvault.config.yaml", "stackvault.config.yml"] as const;

/**
 * Reads the config file: `explicit` (relative to `cwd`) when given, else the one of {@link CONFIG_FILE_NAMES}
 * present in `cwd`. No file is an empty layer.
 * @throws ConfigError when the file is missing (explicit), unreadable, not JSON/YAML, not an object, or when
 * several candidate files exist.
 */
export async function fileLayer(cwd: string, explicit: string | undefined): Promise<Layer> {
  const file = explicit === undefined ? await findConfigFile(cwd) : path.resolve(cwd, explicit);
  if (file === undefined) return { values: {}, origins: new Map() };
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new ConfigError(`Cannot read the config file ${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}.`, {
      cause,
      hint: "Check the path given with --config (or STACKVAULT_CONFIG) and its permissions.",
    });
  }
  let parsed: unknown;
  try {
    // The YAML parser is loaded only when a YAML file is used.
    parsed = /\.ya?ml$/i.test(file) ? (await import("yaml")).parse(text) : JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`The config file ${file} is not valid ${/\.ya?ml$/i.test(file) ? "YAML" : "JSON"}: ${(cause as Error).message}`, { cause });
  }
  if (parsed === null || parsed === undefined) parsed = {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`The config file ${file} must hold an object of settings (see README "Configuration").`);
  }
  const origins = new Map<string, string>();
  for (const key of leafKeys(parsed as Record<string, unknown>, [])) origins.set(key, `config file ${file}`);
  return { values: parsed as Record<string, unknown>, origins };
}

/** Settings from `STACKVAULT_*` variables (unknown `STACKVAULT_*` variables are ignored). */
export function envLayer(env: Readonly<Record<string, string | undefined>>): Layer {
  const layer: Layer = { values: {}, origins: new Map() };
  for (const setting of SETTINGS) {
    const text = env[setting.env];
    if (text === undefined || text === "") continue;
    setPath(layer.values, setting.path, coerce(setting, text));
    layer.origins.set(setting.key, `environment variable ${setting.env}`);
  }
  return layer;
}

/**
 * Settings from flags, keyed by flag name without dashes (`{ "neo4j-uri": "bolt://…", "skip-redis": true }`).
 * Strings are converted to the setting's kind; booleans and arrays are taken as they are.
 * @throws ConfigError for a flag that is not a setting (a programming error in the caller, reported clearly).
 */
export function flagLayer(flags: Readonly<Record<string, unknown>>): Layer {
  const layer: Layer = { values: {}, origins: new Map() };
  for (const [name, raw] of Object.entries(flags)) {
    if (raw === undefined) continue;
    const setting = findSetting(name);
    if (setting === undefined || setting.flag !== name) throw new ConfigError(`--${name} is not a setting.`);
    setPath(layer.values, setting.path, typeof raw === "string" ? coerce(setting, raw) : raw);
    layer.origins.set(setting.key, `flag --${name}`);
  }
  return layer;
}

/** Sets `obj[a][b]… = value`, creating objects on the way. */
export function setPath(obj: Record<string, unknown>, keys: readonly string[], value: unknown): void {
  let node = obj;
  keys.forEach((k, i) => {
    if (i === keys.length - 1) {
      node[k] = value;
      return;
    }
    const next = node[k];
    if (next === null || typeof next !== "object" || Array.isArray(next)) node[k] = {};
    node = node[k] as Record<string, unknown>;
  });
}

/** Deletes `obj[a][b]…` if present. */
export function deletePath(obj: Record<string, unknown>, keys: readonly string[]): void {
  let node: unknown = obj;
  for (const k of keys.slice(0, -1)) {
    if (node === null || typeof node !== "object") return;
    node = (node as Record<string, unknown>)[k];
  }
  if (node !== null && typeof node === "object") delete (node as Record<string, unknown>)[keys[keys.length - 1] ?? ""];
}

/** Reads `obj[a][b]…`. */
export function getPath(obj: unknown, keys: readonly (string | number | symbol)[]): unknown {
  let node = obj;
  for (const k of keys) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number | symbol, unknown>)[k];
  }
  return node;
}

// --- internal ---

async function findConfigFile(cwd: string): Promise<string | undefined> {
  const found: string[] = [];
  for (const name of CONFIG_FILE_NAMES) {
    const candidate = path.join(cwd, name);
    try {
      await access(candidate);
      found.push(candidate);
    } catch {
      // absent: try the next name
    }
  }
  if (found.length > 1) {
    throw new ConfigError(`Several config files found: ${found.map((f) => path.basename(f)).join(", ")}.`, {
      hint: "Keep one, or choose with --config FILE.",
    });
  }
  return found[0];
}

function leafKeys(obj: Record<string, unknown>, prefix: string[]): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? leafKeys(v as Record<string, unknown>, [...prefix, k]) : [[...prefix, k].join(".")],
  );
}
