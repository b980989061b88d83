import { test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  GetObjectCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
} from "@aws-sdk/client-s3";
import { retentionPolicySchema } from "../../src/plans/prune-policy.ts";
import { LIFECYCLE_RULE_IDS, TLS_ONLY_SID, tlsOnlyStatement } from "../../src/stack/aws/bucket.ts";
import type { BucketInitResult } from "../../src/stack/aws/bucket.ts";
import { runCli } from "../cli/run-cli.ts";
import { motoCliEnv, motoEndpoint, motoS3, uniqueBucket } from "./moto.ts";

function bucketInit(bucket: string, extra: string[] = []) {
  return runCli(["bucket", "init", "--json", "--bucket", bucket, "--region", "eu-west-1", "--s3-endpoint", motoEndpoint(), ...extra], { cwd: os.tmpdir(), env: motoCliEnv() });
}

test("bucket init creates and configures the bucket; every setting reads back; a second run changes nothing", async () => {
  const bucket = uniqueBucket("init");
  const first = await bucketInit(bucket);
  assert.equal(first.code, 0, first.stderr);
  const r1 = JSON.parse(first.stdout) as BucketInitResult;
  assert.deepEqual(r1.outcomes.map((o) => [o.setting, o.status]), [
    ["bucket", "created"],
    ["versioning", "configured"],
    ["encryption", "configured"],
    ["public access block", "configured"],
    ["retention policy", "configured"],
    ["TLS-only policy", "configured"],
    ["lifecycle", "configured"],
  ]);
  assert.ok(r1.notes.some((n) => /prune/.test(n) && /idle/.test(n)), "the output says current-version expiry is left to prune");

  const s3 = motoS3();
  try {
    const location = await s3.send(new GetBucketLocationCommand({ Bucket: bucket }));
    assert.equal(location.LocationConstraint, "eu-west-1");
    assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status, "Enabled");
    const enc = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    assert.equal(enc.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm, "AES256");
    const pab = await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    assert.deepEqual(pab.PublicAccessBlockConfiguration, { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? "{}") as { Statement: Record<string, unknown>[] };
    const deny = policy.Statement.find((s) => s.Sid === TLS_ONLY_SID);
    assert.deepEqual(deny, tlsOnlyStatement(bucket));
    assert.deepEqual(deny?.Condition, { Bool: { "aws:SecureTransport": "false" } });
    const lifecycle = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    const byId = new Map((lifecycle.Rules ?? []).map((r) => [r.ID, r]));
    assert.equal(byId.get(LIFECYCLE_RULE_IDS.noncurrent)?.NoncurrentVersionExpiration?.NoncurrentDays, 7);
    assert.equal(byId.get(LIFECYCLE_RULE_IDS.multipart)?.AbortIncompleteMultipartUpload?.DaysAfterInitiation, 7);
    assert.deepEqual((lifecycle.Rules ?? []).filter((r) => r.Expiration?.Days !== undefined).map((r) => [r.ID, r.Filter?.Prefix]), [[LIFECYCLE_RULE_IDS.exchange, "exec/"]], "no current-version expiry of backups by default");
    // What a crashed SSM run leaves under exec/ (its own run deletes it) expires after a day.
    assert.equal(byId.get(LIFECYCLE_RULE_IDS.exchange)?.Expiration?.Days, 1);
    assert.equal(byId.get(LIFECYCLE_RULE_IDS.exchange)?.Status, "Enabled");
    // The emulator enforces the statement: this client speaks plain HTTP, so object reads are denied.
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "retention-policy.json" })), (err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode === 403);
  } finally {
    s3.destroy();
  }

  const second = await bucketInit(bucket);
  assert.equal(second.code, 0, second.stderr);
  const r2 = JSON.parse(second.stdout) as BucketInitResult;
  assert.deepEqual(r2.outcomes.map((o) => [o.setting, o.status]).filter(([, st]) => st !== "already configured"), [["retention policy", "not checked"]], "plain HTTP cannot look at objects any more");

  // Without the policy, the retention file reads back; the next run puts the statement back and changes nothing else.
  const s3b = motoS3();
  try {
    await s3b.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    const policyFile = retentionPolicySchema.parse(JSON.parse(await (await s3b.send(new GetObjectCommand({ Bucket: bucket, Key: "retention-policy.json" }))).Body!.transformToString()));
    assert.deepEqual([policyFile.keep_last, policyFile.keep_daily, policyFile.keep_weekly, policyFile.keep_monthly, policyFile.min_size_ratio], [7, 7, 4, 6, 0.5]);
  } finally {
    s3b.destroy();
  }
  const third = await bucketInit(bucket);
  assert.equal(third.code, 0, third.stderr);
  assert.deepEqual((JSON.parse(third.stdout) as BucketInitResult).outcomes.map((o) => o.status), ["already configured", "already configured", "already configured", "already configured", "already configured", "configured", "already configured"]);

  const text = await runCli(["bucket", "init", "--bucket", bucket, "--region", "eu-west-1", "--s3-endpoint", motoEndpoint()], { cwd: os.tmpdir(), env: motoCliEnv() });
  assert.equal(text.code, 0, text.stderr);
  assert.equal(text.stdout.match(/already configured/g)?.length, 6, text.stdout);
  assert.match(text.stdout, /stackvault prune/);
});

test("bucket init fixes only what differs, keeps foreign policy statements and lifecycle rules, and switches to aws:kms", async () => {
  const bucket = uniqueBucket("fix");
  const s3 = motoS3();
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Suspended" } }));
    const other = { Sid: "ReadForAuditors", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` };
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: "2012-10-17", Statement: [other] }) }));
    await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: [{ ID: "logs-expiry", Status: "Enabled", Filter: { Prefix: "logs/" }, Expiration: { Days: 30 } }] } }));

    const run = await bucketInit(bucket, ["--kms-key", "alias/backups", "--noncurrent-days", "14", "--expire-days", "90"]);
    assert.equal(run.code, 0, run.stderr);
    const r = JSON.parse(run.stdout) as BucketInitResult;
    assert.deepEqual(r.outcomes.map((o) => [o.setting, o.status]), [
      ["bucket", "already configured"],
      ["versioning", "updated"],
      ["encryption", "configured"],
      ["public access block", "configured"],
      ["retention policy", "configured"],
      ["TLS-only policy", "configured"],
      ["lifecycle", "configured"],
    ]);
    assert.ok(r.notes.some((n) => n.includes("logs-expiry")), "a foreign expiry rule is pointed out");

    const enc = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    assert.deepEqual(enc.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault, { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/backups" });
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? "{}") as { Statement: { Sid: string }[] };
    assert.deepEqual(policy.Statement.map((s) => s.Sid), ["ReadForAuditors", TLS_ONLY_SID]);
    const rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
    assert.deepEqual(rules.map((x) => x.ID).sort(), ["logs-expiry", ...Object.values(LIFECYCLE_RULE_IDS)].sort());
    assert.equal(rules.find((x) => x.ID === LIFECYCLE_RULE_IDS.noncurrent)?.NoncurrentVersionExpiration?.NoncurrentDays, 14);
    const expire = rules.find((x) => x.ID === LIFECYCLE_RULE_IDS.expireCurrent);
    assert.equal(expire?.Expiration?.Days, 90);
    assert.equal(expire?.Filter?.Prefix, "stacks/");

    const again = await bucketInit(bucket, ["--kms-key", "alias/backups", "--noncurrent-days", "14", "--expire-days", "90"]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((JSON.parse(again.stdout) as BucketInitResult).outcomes.filter((o) => o.status !== "already configured").map((o) => o.setting), ["retention policy"]);

    const back = await bucketInit(bucket);
    assert.equal(back.code, 0, back.stderr);
    const rb = JSON.parse(back.stdout) as BucketInitResult;
    assert.deepEqual(rb.outcomes.filter((o) => o.status === "updated").map((o) => o.setting), ["encryption", "lifecycle"]);
    const after = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
    assert.ok(!after.some((x) => x.ID === LIFECYCLE_RULE_IDS.expireCurrent), "dropping --expire-days removes the age-based rule");
  } finally {
    s3.destroy();
  }
});

test("bucket init with --target s3://B/prefix expires the SSM exchange under that prefix; a changed rule is put back", async () => {
  const bucket = uniqueBucket("exch");
  const withPrefix = ["--target", `s3://${bucket}/team-a`];
  const first = await bucketInit(bucket, withPrefix);
  assert.equal(first.code, 0, first.stderr);
  assert.match((JSON.parse(first.stdout) as BucketInitResult).outcomes.find((o) => o.setting === "lifecycle")?.detail ?? "", /SSM exchange objects under team-a\/exec\/ expire after 1 day/);
  const s3 = motoS3();
  try {
    const exchangeRule = async () => ((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? []).find((r) => r.ID === LIFECYCLE_RULE_IDS.exchange);
    assert.deepEqual([(await exchangeRule())?.Filter?.Prefix, (await exchangeRule())?.Expiration?.Days], ["team-a/exec/", 1]);

    const again = await bucketInit(bucket, withPrefix);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as BucketInitResult).outcomes.find((o) => o.setting === "lifecycle")?.status, "already configured");

    // Someone lengthened the rule by hand: the next run puts it back, and keeps the other rules as they are.
    const rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
    const edited = rules.map((r) => (r.ID === LIFECYCLE_RULE_IDS.exchange ? { ...r, Expiration: { Days: 30 } } : r));
    await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: edited } }));
    const fixed = await bucketInit(bucket, withPrefix);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.equal((JSON.parse(fixed.stdout) as BucketInitResult).outcomes.find((o) => o.setting === "lifecycle")?.status, "updated");
    assert.equal((await exchangeRule())?.Expiration?.Days, 1);
  } finally {
    s3.destroy();
  }
});

test("bucket init without a bucket says what to set", async () => {
  const r = await runCli(["bucket", "init", "--region", "eu-west-1"], { cwd: os.tmpdir(), env: motoCliEnv() });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /needs a bucket/);
});
