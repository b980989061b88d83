/** `stackvault dashboard`: the CloudWatch dashboard and alarms for backups. */
import { Option } from "commander";
import type { CommandSpec } from "../command.ts";
import { notAvailable, positiveArg } from "./shared.ts";

export const dashboardCommand: CommandSpec = {
  path: ["dashboard"],
  summary: "create the CloudWatch dashboard and alarms for backups",
  description:
    "Creates or updates a CloudWatch dashboard with the stack's backup size, duration, age (RPO) and restore time " +
    "(RTO), and an alarm when no verified backup is newer than --max-age-hours, notified to --sns-topic.",
  groups: ["stack", "target"],
  options: () => [
    new Option("--sns-topic <arn>", "SNS topic notified of failed or missing backups"),
    new Option("--max-age-hours <n>", "alarm when the newest verified backup is older (default: 26)").argParser(positiveArg),
  ],
  requires: ["stack"],
  examples: ["stackvault dashboard --stack KnowWhere-Production --bucket knowwhere-backups-715927975014 --sns-topic arn:aws:sns:eu-west-1:715927975014:backups"],
  run: async () => notAvailable("dashboard"),
};
