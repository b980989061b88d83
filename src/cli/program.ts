/**
 * The `stackvault` program: global options, group commands and every command of the command-line contract
 * (DESIGN.md §10). Commander's own exits are turned into exceptions; `main` maps them to exit codes.
 */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import type { CommandSpec, Runtime } from "./command.ts";
import { registerCommand } from "./command.ts";
import { agentRunCommand } from "./commands/agent-run.ts";
import { backupCommand } from "./commands/backup.ts";
import { bucketInitCommand } from "./commands/bucket-init.ts";
import { configCommand } from "./commands/config.ts";
import { costCommand } from "./commands/cost.ts";
import { dashboardCommand } from "./commands/dashboard.ts";
import { demoCommand } from "./commands/demo.ts";
import { iamPolicyCommand } from "./commands/iam-policy.ts";
import { listCommand } from "./commands/list.ts";
import { pruneCommand } from "./commands/prune.ts";
import { restoreCommand } from "./commands/restore.ts";
import { showCommand } from "./commands/show.ts";
import { stackDeployCommand } from "./commands/stack-deploy.ts";
import { stackDestroyCommand } from "./commands/stack-destroy.ts";
import { verifyCommand } from "./commands/verify.ts";

/** Every command, in help order. */
export const COMMANDS: readonly CommandSpec[] = [
  backupCommand,
  restoreCommand,
  listCommand,
  showCommand,
  verifyCommand,
  pruneCommand,
  stackDestroyCommand,
  stackDeployCommand,
  bucketInitCommand,
  iamPolicyCommand,
  costCommand,
  dashboardCommand,
  demoCommand,
  configCommand,
  agentRunCommand,
];

/** Group commands that only hold subcommands. */
const GROUPS: readonly { name: string; summary: string; hidden?: boolean }[] = [
  { name: "stack", summary: "CloudFormation lifecycle with backup and restore built in" },
  { name: "bucket", summary: "the backup bucket" },
  { name: "agent", summary: "host side of remote runs", hidden: true },
];

/** Set to the package version by the single-file bundle's build (`npm run build:bundle`); absent otherwise. */
declare const STACKVAULT_BUNDLE_VERSION: string | undefined;

/** The package version (package.json sits two levels above both src/cli and dist/cli; the bundle has it built in). */
export function packageVersion(): string {
  if (typeof STACKVAULT_BUNDLE_VERSION === "string") return STACKVAULT_BUNDLE_VERSION;
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
}

/**
 * Builds the program from `commands` (default: {@link COMMANDS}); `parseAsync` rejects with commander's or the
 * command's error instead of exiting.
 */
export function buildProgram(runtime: Runtime, commands: readonly CommandSpec[] = COMMANDS): Command {
  const program = new Command("stackvault")
    .description(
      "Versioned, verified backups of a Neo4j + Qdrant + Redis (RQ) stack to S3 or a local folder, tied into the " +
        "CloudFormation stack's life.\nSettings come from stackvault.config.json|yaml, then STACKVAULT_* variables, then flags.",
    )
    .version(packageVersion(), "-V, --version", "print the version")
    .addOption(new Option("--json", "print JSON only on stdout (JSON lines while running, then one result document)"))
    .addOption(new Option("-c, --config <file>", "config file (default: stackvault.config.json|yaml|yml in the current folder) [env STACKVAULT_CONFIG]"))
    .addOption(new Option("-q, --quiet", "print only warnings and errors").conflicts("verbose"))
    .addOption(new Option("-v, --verbose", "also print debug lines"))
    .addOption(new Option("--no-color", "no colours (also: NO_COLOR=1)"))
    .helpOption("-h, --help", "show help for a command")
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => void runtime.io.stdout.write(s),
      writeErr: (s) => void runtime.io.stderr.write(s),
      outputError: () => {},
    })
    .addHelpText("after", "\nRun `stackvault <command> --help` for a command's options. Exit codes: see the README.\n");
  program.helpCommand("help [command]", "show help for a command");
  for (const spec of commands) {
    const group = GROUPS.find((g) => g.name === spec.path[0] && spec.path.length > 1);
    if (group !== undefined && !program.commands.some((c) => c.name() === group.name)) {
      program.command(group.name, { hidden: group.hidden === true }).summary(group.summary).description(group.summary).helpCommand(false);
    }
    registerCommand(program, spec, runtime);
  }
  return program;
}
