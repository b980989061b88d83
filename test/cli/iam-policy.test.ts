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

test("iam-policy --lifecycle prints the operator's policy, narrowed to the stack, topic and namespace", async () => {
  const topic = "arn:aws:sns:eu-west-1:715927975014:knowwhere-backups";
  const r = await runCli(["iam-policy", "--lifecycle", "--bucket", "kw-backups", "--stack", "KnowWhere-Production", "--sns-topic", topic, "--metrics-namespace", "Stackvault"], { cwd: os.tmpdir() });
  assert.equal(r.code, 0, r.stderr);
  const policy = JSON.parse(r.stdout) as Policy;
  const sid = (name: string): Policy["Statement"][number] | undefined => policy.Statement.find((s) => s.Sid === name);
  assert.equal(sid("StackLifecycle")?.Resource, "arn:aws:cloudformation:*:*:stack/KnowWhere-Production/*");
  assert.ok(sid("StackLifecycle")?.Action.includes("cloudformation:DeleteStack"));
  assert.deepEqual(sid("DeleteOrphanVolumes")?.Condition, { StringEquals: { "aws:ResourceTag/aws:cloudformation:stack-name": "KnowWhere-Production" } });
  assert.equal(sid("BucketSetup")?.Resource, "arn:aws:s3:::kw-backups");
  assert.deepEqual(sid("RunOnStackInstances")?.Condition, { StringEquals: { "ssm:resourceTag/aws:cloudformation:stack-name": "KnowWhere-Production" } });
  assert.equal(sid("RunScriptDocument")?.Resource, "arn:aws:ssm:*::document/AWS-RunShellScript");
  assert.deepEqual(sid("RunNotifications"), { Sid: "RunNotifications", Effect: "Allow", Action: ["sns:Publish"], Resource: topic });
  assert.deepEqual(sid("RunMetrics")?.Condition, { StringEquals: { "cloudwatch:namespace": "Stackvault" } });
  assert.equal(sid("ReadWriteBackups"), undefined, "the data policy is separate");
  assert.ok(!policy.Statement.some((s) => s.Action.some((a) => a.endsWith(":*"))), "no wildcard actions");
  const open = await runCli(["iam-policy", "--lifecycle", "--bucket", "kw-backups"], { cwd: os.tmpdir() });
  const any = (JSON.parse(open.stdout) as Policy).Statement;
  assert.equal(any.find((s) => s.Sid === "StackLifecycle")?.Resource, "arn:aws:cloudformation:*:*:stack/*/*");
  assert.deepEqual(any.find((s) => s.Sid === "DeleteOrphanVolumes")?.Condition, { Null: { "aws:ResourceTag/aws:cloudformation:stack-name": "false" } });
  assert.equal(any.find((s) => s.Sid === "RunNotifications"), undefined);
});
