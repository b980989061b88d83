/** `stackvault bucket init`: create the backup bucket the way the seed describes. */
import { Option } from "commander";
import type { CommandSpec } from "../command.ts";
import { intArg, notAvailable } from "./shared.ts";

export const bucketInitCommand: CommandSpec = {
  path: ["bucket", "init"],
  summary: "create the backup bucket (versioning, encryption, lifecycle)",
  description:
    "Creates the bucket in --region if it does not exist, turns on versioning and default encryption (AES256 or " +
    "aws:kms), blocks public access, and applies a lifecycle rule for noncurrent versions and stale multipart " +
    "uploads. Idempotent: running it again only fixes what differs.",
  groups: ["target"],
  options: () => [
    new Option("--noncurrent-days <n>", "days noncurrent object versions are kept (default: 7)").argParser(intArg),
  ],
  requires: ["bucket"],
  examples: ["stackvault bucket init --bucket knowwhere-backups-715927975014 --region eu-west-1"],
  run: async () => notAvailable("bucket init"),
};
