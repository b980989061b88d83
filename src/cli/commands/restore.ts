/** `stackvault restore`: the seed's restore-stack (9 steps, nothing purged before the backup is proven good). */
import { Option } from "commander";
import { UsageError } from "../../core/errors.ts";
import type { CommandSpec } from "../command.ts";
import { backupSelectorOptions, dryRunOption, notAvailable, stackArg, yesOption } from "./shared.ts";

export const restoreCommand: CommandSpec = {
  path: ["restore"],
  summary: "restore a backup into a running stack",
  description:
    "Puts a chosen backup back into the stack's stores. Every checksum and version is verified before anything is " +
    "purged; then app and worker are stopped, Neo4j, Qdrant and Redis are loaded, services restarted, and the counts " +
    "compared with the manifest. Asks for confirmation unless --yes (without a terminal, --yes is required).",
  groups: ["stack", "target", "host", "stores", "services", "lock"],
  options: () => [
    ...backupSelectorOptions("restore the backup `latest` points to"),
    new Option("--from-stack <name>", "restore a backup of another stack (the seed's -BackupSource)").argParser(stackArg),
    yesOption(),
    dryRunOption("the plan (sizes, what will be overwritten)"),
  ],
  requires: ["stack", "target"],
  examples: [
    "stackvault restore --stack KnowWhere-Production --bucket knowwhere-backups-715927975014 --latest",
    "stackvault restore --stack Test-Restore --from-stack Test-Backup --latest --bucket knowwhere-backups-715927975014 --yes",
    "stackvault restore --stack dev --target file:///srv/backups --backup-id 2025-10-25T14-30-00Z --dry-run",
  ],
  run: async (_ctx, options) => {
    if (options.latest !== true && options.backupId === undefined) {
      throw new UsageError("`restore` needs --latest or --backup-id ID.", { hint: "Run `stackvault list --stack NAME` to see the backups." });
    }
    notAvailable("restore");
  },
};
