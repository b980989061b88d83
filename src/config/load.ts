/**
 * `loadConfig`: merges the config file, `STACKVAULT_*` variables and flags (later wins), validates the result
 * with the one schema, resolves secrets, and returns a deep-frozen {@link Config}. Pure apart from reading the
 * config and secret files: the environment is a parameter.
 */
import type * as z from "zod";
import { ConfigError } from "../core/errors.ts";
import { configSchema } from "./schema.ts";
import type { Config, ConfigValues } from "./schema.ts";
import { isValidBucketName, parseTarget } from "./names.ts";
import { SETTINGS } from "./settings.ts";
import { deletePath, envLayer, fileLayer, flagLayer, getPath, setPath } from "./sources.ts";
import type { Layer } from "./sources.ts";
import { SECRET_SPECS, plainFileVars, registerUrlPassword, resolveSecrets } from "./secrets.ts";
import { registerSecret } from "../core/redact.ts";

export interface LoadConfigOptions {
  /** Flag values keyed by flag name without dashes (`{ stack: "prod", "skip-redis": true }`). */
  argvFlags?: Readonly<Record<string, unknown>>;
  /** The environment to read `STACKVAULT_*` variables and secrets from. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Directory where the config file is looked for and relative file names resolve. */
  cwd: string;
  /** Explicit config file (`--config F`); else `STACKVAULT_CONFIG`, else the file found in `cwd`. */
  configFile?: string;
}

/**
 * Loads the configuration.
 * @throws ConfigError naming the setting, where its value came from and what is allowed.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<Config> {
  const env = options.env ?? {};
  const configFile = options.configFile ?? (env.STACKVAULT_CONFIG || undefined);
  // Registered before anything can fail, so that no error message can carry them.
  for (const spec of SECRET_SPECS) for (const name of spec.vars) registerSecret(env[name]);
  const layers: Layer[] = [await fileLayer(options.cwd, configFile), envLayer(env), flagLayer(options.argvFlags ?? {})];
  for (const extra of plainFileVars(env)) {
    const envLayerOfThem = layers[1] as Layer;
    if (envLayerOfThem.origins.has(extra.key)) continue;
    setPath(envLayerOfThem.values, extra.key.split("."), extra.value);
    envLayerOfThem.origins.set(extra.key, `environment variable ${extra.env}`);
  }

  const merged: Record<string, unknown> = {};
  const origins = new Map<string, string>();
  for (const layer of layers) applyLayer(merged, origins, layer);
  for (const key of ["redis", "neo4j", "qdrant"]) {
    const url = getPath(merged, [key, key === "neo4j" ? "uri" : "url"]);
    if (typeof url === "string") registerUrlPassword(url);
  }

  const result = configSchema.safeParse(merged);
  if (!result.success) throw describeIssues(result.error.issues, merged, origins);
  const values: ConfigValues = result.data;

  const secrets = await resolveSecrets(env, options.cwd, (key) => ({
    file: getPath(values, key.split(".")) as string | undefined,
    origin: origins.get(key) ?? "default",
  }));

  const sources: Record<string, string> = {};
  for (const s of SETTINGS) sources[s.key] = origins.get(s.key) ?? "default";
  return deepFreeze({ ...values, secrets, sources }) as Config;
}

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

// --- internal ---

/** Deep-merges one layer, keeping `bucket` and `target` in step (`--bucket B` is `--target s3://B`). */
function applyLayer(merged: Record<string, unknown>, origins: Map<string, string>, layer: Layer): void {
  const { target, bucket } = layer.values;
  if (typeof target === "string" && typeof bucket === "string" && bucketOf(target) !== bucket) {
    throw new ConfigError(
      `Both target "${target}" (${layer.origins.get("target")}) and bucket "${bucket}" (${layer.origins.get("bucket")}) are set and disagree.`,
      { hint: "Give either --bucket B or --target s3://B[/prefix], not both." },
    );
  }
  deepMerge(merged, layer.values);
  for (const [k, v] of layer.origins) origins.set(k, v);
  if (target !== undefined && bucket === undefined) {
    const b = typeof target === "string" ? bucketOf(target) : undefined;
    if (b === undefined) deletePath(merged, ["bucket"]);
    else merged.bucket = b;
    origins.set("bucket", layer.origins.get("target") ?? "default");
  } else if (bucket !== undefined && target === undefined) {
    if (typeof bucket === "string" && isValidBucketName(bucket)) merged.target = `s3://${bucket}`;
    else deletePath(merged, ["target"]);
    origins.set("target", layer.origins.get("bucket") ?? "default");
  }
}

function bucketOf(target: string): string | undefined {
  try {
    const t = parseTarget(target);
    return t.kind === "s3" ? t.bucket : undefined;
  } catch {
    return undefined;
  }
}

function deepMerge(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (isPlainObject(v) && isPlainObject(cur)) deepMerge(cur, v);
    else into[k] = isPlainObject(v) ? structuredClone(v) : v;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function describeIssues(issues: readonly z.core.$ZodIssue[], merged: Record<string, unknown>, origins: Map<string, string>): ConfigError {
  const parts = issues.map((issue) => describeIssue(issue, merged, origins));
  const first = parts[0] ?? "Invalid configuration.";
  const more = parts.length > 1 ? ` Also: ${parts.slice(1).join(" ")}` : "";
  return new ConfigError(`${first}${more}`, { hint: 'See "Configuration" in the README or `stackvault <command> --help` for every setting.' });
}

function describeIssue(issue: z.core.$ZodIssue, merged: Record<string, unknown>, origins: Map<string, string>): string {
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => [...path, k].join("."));
    const origin = origins.get(keys[0] ?? "") ?? "the config file";
    return `Unknown setting ${keys.map((k) => `"${k}"`).join(", ")} in ${origin.replace(/^config file /, "")}; allowed keys${path.length > 0 ? ` under "${path.join(".")}"` : ""}: ${allowedKeys(path).join(", ")}.`;
  }
  const setting = SETTINGS.find((s) => s.path.every((segment, i) => path[i] === segment));
  const key = setting?.key ?? path.join(".");
  const origin = origins.get(key) ?? "default";
  const value = getPath(merged, setting?.path ?? path);
  const shown = value === undefined ? "" : ` = ${JSON.stringify(value)}`;
  const where = origin === "default" ? "default value" : `from ${origin}`;
  return `Invalid setting "${key}"${shown} (${where}): ${expected(issue)}.`;
}

function expected(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_value":
      return `expected one of ${issue.values.map(String).join(", ")}`;
    case "invalid_type":
      return `expected ${issue.expected === "array" ? "a comma-separated list" : issue.expected}`;
    case "too_small":
      return `expected at least ${String(issue.minimum)}`;
    case "too_big":
      return `expected at most ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

function allowedKeys(path: string[]): string[] {
  const depth = path.length;
  const keys = SETTINGS.filter((s) => s.path.slice(0, depth).join(".") === path.join(".")).map((s) => s.path[depth] ?? "");
  return [...new Set(keys)];
}
