/** `stackvault bucket init`: create the backup bucket the way the seed describes. */
import { Option } from "commander";
import { requireSetting } from "../../config/require.ts";
import { policyFileFrom } from "../../plans/prune-policy.ts";
import { initBucket } from "../../stack/aws/bucket.ts";
import { RETENTION_POLICY_KEY } from "../../targets/layout.ts";
import type { CommandSpec } from "../command.ts";
import { table } from "../render/table.ts";
import { intArg } from "./shared.ts";

export const bucketInitCommand: CommandSpec = {
  path: ["bucket", "init"],
  summary: "create the backup bucket (versioning, encryption, lifecycle)",
  description:
    "Creates the bucket in --region if it does not exist, turns on versioning and default encryption (AES256, or " +
    "aws:kms with --kms-key), blocks public access, adds a bucket policy statement that denies requests without TLS, " +
    "and applies lifecycle rules for noncurrent versions, stale multipart uploads and leftovers of SSM runs (exec/, 1 day); writes retention-policy.json " +
    "(the default policy of `prune`, from the retention settings) when the bucket has none. Current backups are not " +
    "expired by age unless --expire-days is given: `prune` applies the retention policy. Idempotent: a second run " +
    "reports \"already configured\" for every setting and only fixes what differs.",
  groups: ["target", "retention"],
  options: () => [
    new Option("--kms-key <id>", "encrypt with aws:kms and this key id, ARN or alias (default: AES256, or --s3-sse)"),
    new Option("--noncurrent-days <n>", "days noncurrent object versions are kept (default: 7)").argParser(intArg),
    new Option("--abort-upload-days <n>", "days after which an unfinished multipart upload is aborted (default: 7)").argParser(intArg),
    new Option("--expire-days <n>", "also expire current backups under stacks/ after N days (default: never; prune decides)").argParser(intArg),
  ],
  requires: ["bucket"],
  examples: [
    "stackvault bucket init --bucket knowwhere-backups-715927975014 --region eu-west-1",
    "stackvault bucket init --bucket knowwhere-backups-715927975014 --region eu-west-1 --kms-key alias/backups",
  ],
  run: async (ctx, options) => {
    const { config } = ctx;
    const bucket = requireSetting(config, "bucket", "bucket init");
    const kmsKey = typeof options.kmsKey === "string" ? options.kmsKey : config.s3.sse === "aws:kms" ? (config.s3.kmsKeyId ?? "") : undefined;
    const result = await initBucket({
      bucket,
      region: config.region,
      ...(config.s3.endpoint === undefined ? {} : { endpoint: config.s3.endpoint }),
      ...(config.s3.forcePathStyle === undefined ? {} : { forcePathStyle: config.s3.forcePathStyle }),
      encryption: kmsKey === undefined ? { algorithm: "AES256" } : { algorithm: "aws:kms", ...(kmsKey === "" ? {} : { kmsKeyId: kmsKey }) },
      ...numberOption(options.noncurrentDays, "noncurrentDays"),
      ...numberOption(options.abortUploadDays, "abortMultipartDays"),
      ...numberOption(options.expireDays, "expireCurrentDays"),
      targetPrefix: targetPrefix(config.target, bucket),
      retentionPolicy: { key: policyKey(config.target, bucket), body: `${JSON.stringify(policyFileFrom(config.retention), null, 2)}\n` },
      signal: ctx.signal,
    });
    const text = [
      `Bucket s3://${result.bucket} (${result.region}):`,
      table(result.outcomes, [
        { title: "SETTING", value: (o) => o.setting },
        { title: "STATUS", value: (o) => o.status },
        { title: "DETAIL", value: (o) => o.detail },
      ], ""),
      ...result.notes.map((n) => `Note: ${n}`),
    ].join("\n");
    ctx.render.result(result, text);
  },
};

// --- internal ---

/** retention-policy.json at the target root: the bucket's, or under the prefix of --target s3://B/prefix. */
function policyKey(target: string | undefined, bucket: string): string {
  const prefix = targetPrefix(target, bucket);
  return prefix === "" ? RETENTION_POLICY_KEY : `${prefix}/${RETENTION_POLICY_KEY}`;
}

/** The prefix of --target s3://B/prefix in bucket B (empty for the bucket's root or another target). */
function targetPrefix(target: string | undefined, bucket: string): string {
  return target?.startsWith(`s3://${bucket}/`) === true ? target.slice(`s3://${bucket}/`.length).replace(/\/+$/, "") : "";
}

function numberOption<K extends string>(value: unknown, key: K): Partial<Record<K, number>> {
  return typeof value === "number" ? ({ [key]: value } as Record<K, number>) : {};
}
