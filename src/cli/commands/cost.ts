/** `stackvault cost`: estimate what the backups cost per month. */
import { Option } from "commander";
import type { CommandSpec } from "../command.ts";
import { notAvailable, positiveArg } from "./shared.ts";

export const costCommand: CommandSpec = {
  path: ["cost"],
  summary: "estimate the monthly S3 cost of the backups",
  description:
    "Estimates the monthly storage and request cost of the backups in --region: from the stack's existing backups " +
    "when --stack is given, otherwise from --size-mib, --per-day and --retention-days.",
  groups: ["stack", "target", "retention"],
  options: () => [
    new Option("--size-mib <n>", "size of one backup in MiB (default: measured, or 300)").argParser(positiveArg),
    new Option("--per-day <n>", "backups per day (default: 1)").argParser(positiveArg),
    new Option("--retention-days <n>", "days a backup is kept (default: 30)").argParser(positiveArg),
  ],
  examples: [
    "stackvault cost --stack KnowWhere-Production --bucket knowwhere-backups-715927975014",
    "stackvault cost --size-mib 300 --per-day 1 --retention-days 30 --region eu-west-1",
  ],
  run: async () => notAvailable("cost"),
};
