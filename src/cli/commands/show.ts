/** `stackvault show`: one backup's manifest, readable. */
import type { CommandSpec } from "../command.ts";
import { backupSelectorOptions, notAvailable } from "./shared.ts";

export const showCommand: CommandSpec = {
  path: ["show"],
  summary: "show one backup's manifest",
  description:
    "Prints one backup's metadata.json in readable form: versions, artifacts with sizes and checksums, counts per " +
    "store, duration and status. Shows `latest` unless --backup-id is given.",
  groups: ["stack", "target"],
  options: () => backupSelectorOptions("show the backup `latest` points to (the default)"),
  requires: ["stack", "target"],
  examples: [
    "stackvault show --stack KnowWhere-Production --bucket knowwhere-backups-715927975014",
    "stackvault show --stack dev --target file:///srv/backups --backup-id 2025-10-25T14-30-00Z --json",
  ],
  run: async () => notAvailable("show"),
};
