/** `stackvault verify`: re-hash a backup's objects; `--deep` also restores it into scratch stores. */
import { Option } from "commander";
import type { CommandSpec } from "../command.ts";
import { backupSelectorOptions, notAvailable } from "./shared.ts";

export const verifyCommand: CommandSpec = {
  path: ["verify"],
  summary: "check a backup's checksums (--deep: restore it into scratch stores)",
  description:
    "Reads every object of a backup and compares its sha256 and size with the manifest. With --deep, also restores " +
    "it into scratch stores given by the --scratch-* flags and compares the counts. Verifies `latest` unless " +
    "--backup-id is given. Exits 7 when anything does not match.",
  groups: ["stack", "target"],
  options: () => [
    ...backupSelectorOptions("verify the backup `latest` points to (the default)"),
    new Option("--deep", "also restore into scratch stores and compare counts"),
    new Option("--scratch-neo4j-uri <url>", "scratch Neo4j for --deep (its password: NEO4J_PASSWORD)"),
    new Option("--scratch-qdrant-url <url>", "scratch Qdrant for --deep"),
    new Option("--scratch-redis-url <url>", "scratch Redis for --deep"),
  ],
  requires: ["stack", "target"],
  examples: [
    "stackvault verify --stack KnowWhere-Production --bucket knowwhere-backups-715927975014",
    "stackvault verify --stack dev --target file:///srv/backups --deep --scratch-redis-url redis://127.0.0.1:6390",
  ],
  run: async () => notAvailable("verify"),
};
