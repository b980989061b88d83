/** `stackvault prune`: apply the retention policy. */
import { Option } from "commander";
import type { CommandSpec } from "../command.ts";
import { dryRunOption, notAvailable } from "./shared.ts";

export const pruneCommand: CommandSpec = {
  path: ["prune"],
  summary: "delete backups outside the retention policy",
  description:
    "Deletes the backups the retention policy does not keep. Never deletes `latest` or the newest --keep-last " +
    "verified backups, and refuses when the newest backup shrank suspiciously (see --min-size-ratio) unless " +
    "--allow-shrunk is given. Failed and interrupted backups are removed and never counted as kept.",
  groups: ["stack", "target", "retention", "lock"],
  options: () => [
    dryRunOption("what would be deleted"),
    new Option("--allow-shrunk", "prune even if the newest backup is much smaller than the previous one"),
  ],
  requires: ["stack", "target"],
  examples: [
    "stackvault prune --stack KnowWhere-Production --bucket knowwhere-backups-715927975014 --dry-run",
    "stackvault prune --stack dev --target file:///srv/backups --keep-last 3 --keep-daily 7 --keep-weekly 4 --keep-monthly 0",
  ],
  run: async () => notAvailable("prune"),
};
