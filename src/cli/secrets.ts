/** Secrets a command cannot run without. */
import { ConfigError } from "../core/errors.ts";

/**
 * Returns `value`, or fails naming where the secret can come from.
 * @throws ConfigError when the secret is missing.
 */
export function requireSecret(value: string | undefined, variable: string, fileFlag: string, command: string): string {
  if (value !== undefined && value !== "") return value;
  throw new ConfigError(`\`${command}\` needs ${variable}: it is not set.`, { hint: `Set ${variable} (or ${variable}_FILE), or give ${fileFlag} FILE.` });
}
