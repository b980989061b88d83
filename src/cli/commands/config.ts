/** `stackvault config`: the effective settings and where each came from (secrets only as set / not set). */
import { formatDefault, SETTINGS } from "../../config/settings.ts";
import { getPath } from "../../config/sources.ts";
import type { CommandSpec } from "../command.ts";

export const configCommand: CommandSpec = {
  path: ["config"],
  summary: "print the effective settings and where each came from",
  description:
    "Merges the config file, STACKVAULT_* variables and the flags given here exactly as every command does, and " +
    "prints each setting with its source (default, config file, variable or flag). Secrets are only reported as set " +
    "or not set.",
  groups: ["stack", "target", "backup", "stores", "host", "services", "retention", "lock"],
  examples: ["stackvault config", "stackvault config --stack dev --json"],
  run: async (ctx) => {
    const settings = SETTINGS.map((s) => ({ key: s.key, value: getPath(ctx.config, s.path), source: ctx.config.sources[s.key] ?? "default" }));
    const secrets = Object.fromEntries(Object.keys(ctx.config.secrets).map((k) => [k, "set"]));
    const width = Math.max(...settings.map((s) => s.key.length));
    const text = [
      ...settings.map((s) => `${s.key.padEnd(width)}  ${formatDefault(s.value)}  ${ctx.render.colors.dim(`(${s.source})`)}`),
      ...["neo4jPassword", "qdrantApiKey", "redisPassword"].map((k) => `${`secret ${k}`.padEnd(width)}  ${k in secrets ? "set" : "not set"}`),
    ].join("\n");
    ctx.render.result({ type: "config", settings, secrets }, text);
  },
};
