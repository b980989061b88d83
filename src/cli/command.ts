/**
 * One command = one {@link CommandSpec} in `commands/<name>.ts`. `registerCommand` turns it into a commander
 * command and runs it as setup → run → cleanup:
 *
 * - setup: read the setting flags, load the config (file → env → flags), check required settings, build the
 *   renderer;
 * - run: the command's own work, with `{ signal }`;
 * - cleanup: deferred steps in reverse order, then the renderer.
 */
import { Command } from "commander";
import type { Option } from "commander";
import { joinCleanupErrors } from "./cleanup.ts";
import { loadConfig } from "../config/load.ts";
import { requireSetting } from "../config/require.ts";
import { unknownEnvVars } from "../config/settings.ts";
import { Emitter } from "../core/events.ts";
import type { SettingGroup } from "../config/schema.ts";
import type { CommandContext } from "./context.ts";
import type { Io } from "./io.ts";
import { addSettingOptions, settingFlags } from "./options.ts";
import { createRenderer } from "./render/index.ts";

/** Everything a command declares. */
export interface CommandSpec {
  /** Words after `stackvault`: `["backup"]`, `["stack", "destroy"]`. */
  path: readonly string[];
  /** One line for the command list. */
  summary: string;
  /** A paragraph for the command's own `--help`. */
  description: string;
  /** Setting groups whose flags the command offers. */
  groups: readonly SettingGroup[];
  /** Command-specific flags (fresh instances on every call). */
  options?: () => Option[];
  /** Positional arguments, commander syntax (`[backup-id]`). */
  args?: readonly string[];
  /** Settings the command cannot run without, checked after the config is loaded. */
  requires?: readonly ("stack" | "target" | "bucket")[];
  /** Lines shown under "Examples:" (without the `$ `). */
  examples: readonly string[];
  /** Left out of the main help (still has its own `--help`). */
  hidden?: boolean;
  /** The work. Command-specific options arrive as commander's camelCase values. */
  run(ctx: CommandContext, options: Readonly<Record<string, unknown>>, args: readonly string[]): Promise<void>;
}

/** What every command needs from `main`. */
export interface Runtime {
  io: Io;
  signal: AbortSignal;
}

/** Adds `spec` under `parent` (creating group commands such as `stack` on the way). */
export function registerCommand(program: Command, spec: CommandSpec, runtime: Runtime): Command {
  let parent = program;
  for (const word of spec.path.slice(0, -1)) {
    parent = parent.commands.find((c) => c.name() === word) ?? parent.command(word);
  }
  const cmd = new Command(spec.path[spec.path.length - 1]).copyInheritedSettings(parent).summary(spec.summary).description(spec.description);
  for (const arg of spec.args ?? []) cmd.argument(arg);
  for (const option of spec.options?.() ?? []) cmd.addOption(option.helpGroup("Command options:"));
  const settings = addSettingOptions(cmd, spec.groups);
  if (spec.examples.length > 0) {
    cmd.addHelpText("after", `\nExamples:\n${spec.examples.map((e) => `  $ ${e}`).join("\n")}\n`);
  }
  cmd.action(async (...params: unknown[]) => {
    const args = params.slice(0, -2).filter((a): a is string => typeof a === "string");
    const globals = cmd.optsWithGlobals<GlobalOptions>();
    const config = await loadConfig({ argvFlags: settingFlags(cmd, settings), env: runtime.io.env, cwd: runtime.io.cwd, configFile: globals.config });
    const label = spec.path.join(" ");
    for (const key of spec.requires ?? []) requireSetting(config, key, label);
    const render = createRenderer({ json: globals.json === true, quiet: globals.quiet === true, verbose: globals.verbose === true, color: globals.color !== false }, runtime.io);
    for (const unknown of unknownEnvVars(runtime.io.env)) {
      new Emitter(render.sink).warn(`${unknown.name} is not a stackvault setting and is ignored${unknown.suggestion === undefined ? "" : ` (did you mean ${unknown.suggestion}?)`}.`);
    }
    const cleanups: (() => Promise<void> | void)[] = [];
    const ctx: CommandContext = { config, signal: runtime.signal, render, json: globals.json === true, io: runtime.io, defer: (fn) => void cleanups.push(fn) };
    let failure: unknown;
    try {
      await spec.run(ctx, cmd.opts(), args);
    } catch (err) {
      failure = err;
    }
    const cleanupErrors: unknown[] = [];
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        cleanupErrors.push(err);
      }
    }
    render.close();
    joinCleanupErrors(failure, cleanupErrors);
  });
  if (spec.hidden === true) parent.addCommand(cmd, { hidden: true });
  else parent.addCommand(cmd);
  return cmd;
}

/** Options every command inherits from the program. */
export interface GlobalOptions {
  json?: boolean;
  config?: string;
  quiet?: boolean;
  verbose?: boolean;
  color?: boolean;
}
