/** `stackvault iam-policy`: print the least-privilege IAM policy for the bucket. */
import { Option } from "commander";
import { parseTarget } from "../../config/names.ts";
import { lifecyclePolicy } from "../../stack/aws/lifecycle-policy.ts";
import { requireSetting } from "../../config/require.ts";
import type { CommandSpec } from "../command.ts";

/** What the policy is for. */
export interface PolicyInput {
  bucket: string;
  /** Key prefix of the target inside the bucket (`s3://B/prefix`), without slashes at the ends. */
  prefix: string;
  /** Adds the KMS permissions SSE-KMS needs; a key ARN narrows them to that key. */
  kms?: { keyId?: string; region: string };
}

/**
 * The IAM policy document for backup, restore, list, show, verify and prune on one bucket (or one prefix of
 * it): list the bucket, read, write and delete objects under the prefix, and abort multipart uploads.
 */
export function iamPolicy(input: PolicyInput): Record<string, unknown> {
  const bucketArn = `arn:aws:s3:::${input.bucket}`;
  const keys = input.prefix === "" ? "*" : `${input.prefix}/*`;
  const statements: Record<string, unknown>[] = [
    {
      Sid: "ListBackups",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
      Resource: bucketArn,
      ...(input.prefix === "" ? {} : { Condition: { StringLike: { "s3:prefix": [`${input.prefix}/*`, `${input.prefix}/`] } } }),
    },
    {
      Sid: "ReadWriteBackups",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      Resource: `${bucketArn}/${keys}`,
    },
  ];
  if (input.kms !== undefined) {
    const keyArn = input.kms.keyId?.startsWith("arn:") === true ? input.kms.keyId : undefined;
    statements.push({
      Sid: "EncryptBackups",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: keyArn ?? "*",
      Condition: { StringEquals: { "kms:ViaService": `s3.${input.kms.region}.amazonaws.com` } },
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

export const iamPolicyCommand: CommandSpec = {
  path: ["iam-policy"],
  summary: "print the least-privilege IAM policy for the backup bucket",
  description:
    "Prints the IAM policy (JSON) that the instance role or the operator needs for backup, restore, list, show, " +
    "verify and prune on this bucket, or on the prefix of --target s3://BUCKET/prefix, and nothing more. " +
    "KMS permissions are added with --s3-sse aws:kms (narrowed to the key when --s3-kms-key-id is an ARN). " +
    "With --lifecycle it prints instead the operator's policy for stack deploy/destroy (narrowed to --stack), " +
    "orphan volumes, bucket init, the dashboard, metrics (narrowed to --metrics-namespace) and notifications " +
    "(--sns-topic). CloudFormation creates a template's own resources with the caller's rights unless the stack " +
    "has a service role; those depend on the template and are not included.",
  groups: ["target", "stack", "notify"],
  options: () => [new Option("--lifecycle", "print the operator's policy for the stack lifecycle commands instead")],
  requires: ["bucket"],
  examples: [
    "stackvault iam-policy --bucket knowwhere-backups-715927975014 > policy.json",
    "stackvault iam-policy --lifecycle --bucket knowwhere-backups-715927975014 --stack KnowWhere-Production > operator-policy.json",
    "stackvault iam-policy --target s3://shared-backups/knowwhere --s3-sse aws:kms --s3-kms-key-id arn:aws:kms:eu-west-1:715927975014:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  ],
  run: async (ctx, options) => {
    const bucket = requireSetting(ctx.config, "bucket", "iam-policy");
    if (options.lifecycle === true) {
      const { stack, notify } = ctx.config;
      const policy = lifecyclePolicy({
        bucket,
        ...(stack === undefined ? {} : { stack }),
        ...(notify.snsTopic === undefined ? {} : { snsTopic: notify.snsTopic }),
        ...(notify.metricsNamespace === undefined ? {} : { metricsNamespace: notify.metricsNamespace }),
      });
      ctx.render.result(policy, JSON.stringify(policy, null, 2));
      return;
    }
    const target = ctx.config.target === undefined ? undefined : parseTarget(ctx.config.target);
    const { sse, kmsKeyId } = ctx.config.s3;
    const policy = iamPolicy({
      bucket,
      prefix: target?.kind === "s3" ? target.prefix : "",
      ...(sse === "aws:kms" ? { kms: { region: ctx.config.region, ...(kmsKeyId === undefined ? {} : { keyId: kmsKeyId }) } } : {}),
    });
    ctx.render.result(policy, JSON.stringify(policy, null, 2));
  },
};
