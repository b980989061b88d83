/** Checks that a command has the settings it cannot run without, with a message that says how to give them. */
import { ConfigError } from "../core/errors.ts";
import type { Config } from "./schema.ts";
import { findSetting } from "./settings.ts";

/**
 * Returns the value of a required top-level setting (`stack`, `target`, …).
 * @throws ConfigError naming the flag, the variable and the config-file key to set.
 */
export function requireSetting<K extends "stack" | "target" | "bucket" | "host">(config: Config, key: K, command: string): NonNullable<Config[K]> {
  const value = config[key];
  if (value !== undefined && value !== null) return value as NonNullable<Config[K]>;
  const setting = findSetting(key);
  const how = setting ? `--${setting.flag}, ${setting.env} or "${setting.key}" in stackvault.config.json` : key;
  const extra = key === "target" ? " (or --bucket B)" : "";
  throw new ConfigError(`\`${command}\` needs a ${key}: set ${how}${extra}.`);
}
