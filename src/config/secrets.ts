/**
 * Secrets come from the environment (`NEO4J_PASSWORD`, `QDRANT_API_KEY`, `REDIS_PASSWORD`, or the same names
 * with the `STACKVAULT_` prefix) or from a file (`…_FILE` variables, the `--…-file` flags, the config file's
 * `…File` keys). They never come from argv. Every value found is registered with `registerSecret` so that it is
 * masked wherever it could be printed.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../core/errors.ts";
import { registerSecret } from "../core/redact.ts";
import type { Secrets } from "./schema.ts";
import { findSetting } from "./settings.ts";

/** One secret and where it may come from. */
export interface SecretSpec {
  /** Field of {@link Secrets}. */
  name: keyof Secrets;
  /** Variables holding the value itself. */
  vars: readonly string[];
  /** Variable holding a file name, besides the setting's own `STACKVAULT_…_FILE` variable. */
  fileVar: string;
  /** The setting holding a file name (`neo4j.passwordFile`). */
  fileSetting: string;
}

/** The secrets stackvault knows. */
export const SECRET_SPECS: readonly SecretSpec[] = [
  { name: "neo4jPassword", vars: ["NEO4J_PASSWORD", "STACKVAULT_NEO4J_PASSWORD"], fileVar: "NEO4J_PASSWORD_FILE", fileSetting: "neo4j.passwordFile" },
  { name: "qdrantApiKey", vars: ["QDRANT_API_KEY", "STACKVAULT_QDRANT_API_KEY"], fileVar: "QDRANT_API_KEY_FILE", fileSetting: "qdrant.apiKeyFile" },
  { name: "redisPassword", vars: ["REDIS_PASSWORD", "STACKVAULT_REDIS_PASSWORD"], fileVar: "REDIS_PASSWORD_FILE", fileSetting: "redis.passwordFile" },
];

/**
 * Resolves every secret. `fileOf(key)` gives the effective file setting and its origin after merging.
 * Rules: a value variable and a file given by a variable or a flag at the same time is an error; a file named
 * only in the config file yields to a value variable (the environment is the higher layer).
 * @throws ConfigError on conflicting sources, unreadable or empty secret files.
 */
export async function resolveSecrets(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  fileOf: (key: string) => { file: string | undefined; origin: string },
): Promise<Secrets> {
  const secrets: Secrets = {};
  for (const spec of SECRET_SPECS) {
    const given = spec.vars.filter((v) => env[v] !== undefined && env[v] !== "");
    const values = new Set(given.map((v) => env[v] as string));
    if (values.size > 1) {
      throw new ConfigError(`${given.join(" and ")} are both set with different values.`, { hint: `Set only one of them.` });
    }
    const { file, origin } = fileOf(spec.fileSetting);
    const fileFromConfigFile = origin.startsWith("config file");
    if (given.length > 0 && file !== undefined && !fileFromConfigFile) {
      throw new ConfigError(`${given[0]} and ${origin.replace(/^(environment variable|flag) /, "")} are both set; a secret comes from one place only.`, {
        hint: `Unset one of them.`,
      });
    }
    let value: string | undefined = given.length > 0 ? (env[given[0] as string] as string) : undefined;
    if (value === undefined && file !== undefined) value = await readSecretFile(path.resolve(cwd, file), origin);
    if (value !== undefined) {
      registerSecret(value);
      secrets[spec.name] = value;
    }
  }
  return secrets;
}

/**
 * Folds the plain `X_FILE` variables (e.g. `NEO4J_PASSWORD_FILE`) into the env layer's values as the file
 * setting, unless the `STACKVAULT_` spelling is also set (then they must agree).
 * @throws ConfigError when both spellings are set with different files.
 */
export function plainFileVars(env: Readonly<Record<string, string | undefined>>): { key: string; env: string; value: string }[] {
  const out: { key: string; env: string; value: string }[] = [];
  for (const spec of SECRET_SPECS) {
    const plain = env[spec.fileVar];
    if (plain === undefined || plain === "") continue;
    const setting = findSetting(spec.fileSetting);
    const prefixed = setting === undefined ? undefined : env[setting.env];
    if (prefixed !== undefined && prefixed !== "" && prefixed !== plain) {
      throw new ConfigError(`${spec.fileVar} and ${setting?.env ?? ""} are both set with different files.`, { hint: "Set only one of them." });
    }
    out.push({ key: spec.fileSetting, env: spec.fileVar, value: plain });
  }
  return out;
}

/** Registers the password inside a URL such as `redis://:pw@host` so that it is masked everywhere. */
export function registerUrlPassword(url: string | undefined): void {
  if (url === undefined || !URL.canParse(url)) return;
  const { password } = new URL(url);
  if (password !== "") registerSecret(decodeURIComponent(password));
}

// --- internal ---

async function readSecretFile(file: string, origin: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new ConfigError(`Cannot read the secret file ${file} (from ${origin}): ${(cause as NodeJS.ErrnoException).code ?? "error"}.`, {
      cause,
      hint: "Check the file name and that this user may read it.",
    });
  }
  const value = text.replace(/\r?\n$/, "");
  if (value === "") throw new ConfigError(`The secret file ${file} (from ${origin}) is empty.`);
  return value;
}
