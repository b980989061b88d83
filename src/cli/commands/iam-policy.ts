/** `stackvault iam-policy`: print the least-privilege IAM policy for the bucket. */
import type { CommandSpec } from "../command.ts";
import { notAvailable } from "./shared.ts";

export const iamPolicyCommand: CommandSpec = {
  path: ["iam-policy"],
  summary: "print the least-privilege IAM policy for the backup bucket",
  description:
    "Prints the IAM policy (JSON) that the instance role or the operator needs for backup, restore, list, verify " +
    "and prune on this bucket, and nothing more (KMS statements included with --s3-sse aws:kms).",
  groups: ["target"],
  requires: ["bucket"],
  examples: ["stackvault iam-policy --bucket knowwhere-backups-715927975014 > policy.json"],
  run: async () => notAvailable("iam-policy"),
};
