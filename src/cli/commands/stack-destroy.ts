/** `stackvault stack destroy`: the seed's destroy-cloudformation, with the backup built in. */
import { Option } from "commander";
import type { CommandSpec } from "../command.ts";
import { notAvailable, yesOption } from "./shared.ts";

export const stackDestroyCommand: CommandSpec = {
  path: ["stack", "destroy"],
  summary: "destroy the CloudFormation stack (after a backup with --backup)",
  description:
    "Deletes the CloudFormation stack and waits for DELETE_COMPLETE. With --backup, first takes a verified backup " +
    "and destroys nothing if it fails. Without --backup, warns that every piece of data will be lost. Asks for " +
    "confirmation unless --yes.",
  groups: ["stack", "target", "backup", "host", "stores", "services", "lock"],
  options: () => [
    new Option("--backup", "back up first; destroy only if the backup succeeded (the seed's -Backup)"),
    yesOption(),
    new Option("--delete-orphan-volumes", "also delete the stack's EBS volumes left behind"),
  ],
  requires: ["stack"],
  examples: [
    "stackvault stack destroy --stack KnowWhere-Production --backup --bucket knowwhere-backups-715927975014",
    "stackvault stack destroy --stack Test-Backup --backup --bucket knowwhere-backups-715927975014 --yes --delete-orphan-volumes",
  ],
  run: async () => notAvailable("stack destroy"),
};
