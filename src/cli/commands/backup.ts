/** `stackvault backup`: the seed's backup-stack (7 steps). */
import type { CommandSpec } from "../command.ts";
import { dryRunOption, notAvailable } from "./shared.ts";

export const backupCommand: CommandSpec = {
  path: ["backup"],
  summary: "back up Neo4j, Qdrant and Redis of a stack",
  description:
    "Takes one consistent, verified, versioned backup of the stack's three stores: stops the RQ worker (warm shutdown), " +
    "streams Neo4j, every Qdrant collection and Redis through compression and sha256 to the target, writes metadata.json " +
    "last, re-reads every object (unless --no-validate) and only then moves `latest`. The worker is restarted whatever happens.",
  groups: ["stack", "target", "backup", "host", "stores", "services", "lock"],
  options: () => [dryRunOption("what would be backed up, and where,")],
  requires: ["stack", "target"],
  examples: [
    "stackvault backup --stack KnowWhere-Production --bucket knowwhere-backups-715927975014",
    "stackvault backup --stack dev --target file:///srv/backups --direct --skip-redis --compression gzip",
  ],
  run: async () => notAvailable("backup"),
};
