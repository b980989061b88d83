import { test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import { EXIT_CODES } from "../../src/core/errors.ts";
import { iamPolicy } from "../../src/cli/commands/iam-policy.ts";
import { runCli } from "./run-cli.ts";

type Policy = { Version: string; Statement: { Sid: string; Action: string[]; Resource: string; Condition?: unknown }[] };

test("iam-policy prints the bucket-wide policy as JSON on stdout", async () => {
  const r = await runCli(["iam-policy", "--bucket", "knowwhere-backups-715927975014"], { cwd: os.tmpdir() });
  assert.equal(r.code, 0, r.stderr);
  const policy = JSON.parse(r.stdout) as Policy;
  assert.deepEqual(policy, iamPolicy({ bucket: "knowwhere-backups-715927975014", prefix: "" }));
  assert.equal(policy.Version, "2012-10-17");
  assert.deepEqual(policy.Statement.map((s) => [s.Sid, s.Resource]), [
    ["ListBackups", "arn:aws:s3:::knowwhere-backups-715927975014"],
    ["ReadWriteBackups", "arn:aws:s3:::knowwhere-backups-715927975014/*"],
  ]);
  assert.ok(policy.Statement[1]?.Action.includes("s3:AbortMultipartUpload"));
  assert.ok(!JSON.stringify(policy).includes("s3:*"), "no wildcard actions");
});

test("a target prefix narrows the policy; aws:kms adds KMS permissions for the key", async () => {
  const key = "arn:aws:kms:eu-west-1:715927975014:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  const r = await runCli(["iam-policy", "--json", "--target", "s3://shared-backups/knowwhere", "--s3-sse", "aws:kms", "--s3-kms-key-id", key], { cwd: os.tmpdir() });
  assert.equal(r.code, 0, r.stderr);
  const policy = JSON.parse(r.stdout) as Policy;
  assert.equal(policy.Statement[0]?.Resource, "arn:aws:s3:::shared-backups");
  assert.deepEqual(policy.Statement[0]?.Condition, { StringLike: { "s3:prefix": ["knowwhere/*", "knowwhere/"] } });
  assert.equal(policy.Statement[1]?.Resource, "arn:aws:s3:::shared-backups/knowwhere/*");
  assert.deepEqual(policy.Statement[2], {
    Sid: "EncryptBackups",
    Effect: "Allow",
    Action: ["kms:GenerateDataKey", "kms:Decrypt"],
    Resource: key,
    Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
  });
});

test("iam-policy without a bucket (or with a folder target) says what to set", async () => {
  const r = await runCli(["iam-policy", "--target", "file:///srv/backups"], { cwd: os.tmpdir() });
  assert.equal(r.code, EXIT_CODES.config);
  assert.match(r.stderr, /`iam-policy` needs a bucket: set --bucket, STACKVAULT_BUCKET/);
});
