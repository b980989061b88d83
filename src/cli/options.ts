/**
 * Setting flags on commands: each command offers the flags of the setting groups it uses, built from the
 * config schema's table (description, choices, default, variable). No commander default is set, so a flag
 * counts only when it was given: the file and the environment are not overridden by defaults.
 */
import { Option } from "commander";
import type { Command } from "commander";
import { SETTINGS, formatDefault } from "../config/settings.ts";
import type { Setting } from "../config/settings.ts";
import type { SettingGroup } from "../config/schema.ts";

/** Help headings of the setting groups, in the order they are shown. */
export const GROUP_HEADINGS: Readonly<Record<SettingGroup, string>> = {
  stack: "Stack:",
  target: "Target (where backups live):",
  backup: "Backup contents:",
  stores: "Store connections (direct mode and host side):",
  host: "Where it runs:",
  services: "Services on the host:",
  retention: "Retention:",
  lock: "Lock:",
  notify: "Notifications and metrics:",
};

/** Adds the flags of `groups` to `cmd`. Returns the options added, to read them back with {@link settingFlags}. */
export function addSettingOptions(cmd: Command, groups: readonly SettingGroup[]): SettingOption[] {
  const added: SettingOption[] = [];
  const seen = new Set<string>();
  for (const group of groups) {
    for (const setting of SETTINGS.filter((s) => s.groups.includes(group))) {
      // A setting in several of the command's groups is offered once, under the first.
      if (seen.has(setting.key)) continue;
      seen.add(setting.key);
      for (const option of optionsFor(setting)) {
        option.helpGroup(GROUP_HEADINGS[group]);
        cmd.addOption(option);
        added.push({ setting, option });
      }
    }
  }
  return added;
}

/** One commander option standing for a setting. */
export interface SettingOption {
  setting: Setting;
  option: Option;
}

/** The setting flags given on the command line, keyed by flag name (the shape `loadConfig` takes). */
export function settingFlags(cmd: Command, added: readonly SettingOption[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { setting, option } of added) {
    const attr = option.attributeName();
    if (cmd.getOptionValueSource(attr) !== "cli") continue;
    out[setting.flag] = cmd.getOptionValue(attr);
  }
  return out;
}

// --- internal ---

function optionsFor(s: Setting): Option[] {
  const env = `[env ${s.env}]`;
  const def = s.defaultValue === undefined || (Array.isArray(s.defaultValue) && s.defaultValue.length === 0) ? "" : ` (default: ${formatDefault(s.defaultValue)})`;
  if (s.kind === "boolean") {
    if (s.defaultValue === true) {
      return [
        new Option(`--no-${s.flag}`, `do not ${s.description} ${env}`),
        new Option(`--${s.flag}`, `${s.description}${def}`).hideHelp(),
      ];
    }
    return [new Option(`--${s.flag}`, `${s.description} ${env}`)];
  }
  const arg = s.kind === "number" ? "<n>" : s.kind === "list" ? "<list>" : s.kind === "enum" ? "<choice>" : `<${argName(s)}>`;
  const option = new Option(`--${s.flag} ${arg}`, `${s.description}${def} ${env}`);
  if (s.choices !== undefined) option.choices(s.choices);
  return [option];
}

function argName(s: Setting): string {
  if (/file|key$|known-hosts/.test(s.flag)) return "file";
  if (/uri|url|endpoint/.test(s.flag)) return "url";
  return s.path[s.path.length - 1] === "stack" ? "name" : s.flag.split("-").pop() ?? "value";
}
