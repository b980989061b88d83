/**
 * Backup and restore tell SNS and CloudWatch how they went, read back from the AWS emulator: the SNS messages
 * from moto's state (`/moto-api/data.json`), the metrics through ListMetrics and GetMetricStatistics.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { Redis } from "ioredis";
import { startOwnRedis } from "../engines/redis/own-server.ts";
import { runCli } from "../cli/run-cli.ts";
import { MOTO_CREDENTIALS, motoCliEnv, motoEndpoint } from "./moto.ts";

const REGION = "eu-west-1";

interface SentNotification {
  id: string;
  message: string;
  subject: string;
  attributes: Record<string, { Value: string }>;
}

/** The messages moto recorded for `topicArn`. */
async function sentNotifications(topicArn: string): Promise<SentNotification[]> {
  const data = (await (await fetch(`${motoEndpoint()}/moto-api/data.json`)).json()) as { sns: { Topic: { arn: string; sent_notifications: unknown[][] }[] } };
  const topic = data.sns.Topic.find((t) => t.arn === topicArn);
  assert.ok(topic, `topic ${topicArn} is in the emulator`);
  return topic.sent_notifications.map(([id, message, subject, attributes]) => ({ id, message, subject, attributes }) as SentNotification);
}

async function statistics(cw: CloudWatchClient, namespace: string, metric: string, dims: Record<string, string>) {
  const out = await cw.send(new GetMetricStatisticsCommand({
    Namespace: namespace,
    MetricName: metric,
    Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
    StartTime: new Date(Date.now() - 3_600_000),
    EndTime: new Date(Date.now() + 3_600_000),
    Period: 7200,
    Statistics: ["Minimum", "Maximum", "SampleCount"],
  }));
  return out.Datapoints ?? [];
}

test("backup and restore publish an SNS message and CloudWatch metrics, on success and on failure", { timeout: 240_000 }, async () => {
  const sns = new SNSClient({ region: REGION, endpoint: motoEndpoint(), credentials: MOTO_CREDENTIALS });
  const cw = new CloudWatchClient({ region: REGION, endpoint: motoEndpoint(), credentials: MOTO_CREDENTIALS });
  const redis = await startOwnRedis();
  const client = new Redis(redis.url);
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-notify-"));
  const stack = `notify-${randomBytes(3).toString("hex")}`;
  const namespace = `Stackvault-Test-${randomBytes(3).toString("hex")}`;
  try {
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: `backups-${stack}` }))).TopicArn ?? "";
    for (let i = 0; i < 25; i++) await client.set(`key:${i}`, `value ${i}`);
    const common = ["--stack", stack, "--target", `file://${dir}/backups`, "--skip-neo4j", "--skip-qdrant", "--services-controller", "none", "--region", REGION, "--sns-topic", topicArn, "--metrics-namespace", namespace];

    const backup = await runCli(["backup", "--redis-url", redis.url, ...common], { cwd: dir, env: motoCliEnv(REGION) });
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout + backup.stderr, new RegExp(`Notified ${topicArn}`));
    assert.match(backup.stdout + backup.stderr, new RegExp(`Sent \\d+ metric\\(s\\) to CloudWatch namespace ${namespace}`));
    const backupId = /Backup (\S+) completed/.exec(backup.stdout + backup.stderr)?.[1] ?? "";
    assert.match(backupId, /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/);

    const restore = await runCli(["restore", "--latest", "--yes", "--redis-url", redis.url, ...common], { cwd: dir, env: motoCliEnv(REGION) });
    assert.equal(restore.code, 0, restore.stderr);

    const failed = await runCli(["backup", "--redis-url", "redis://127.0.0.1:1/0", ...common], { cwd: dir, env: motoCliEnv(REGION) });
    assert.notEqual(failed.code, 0, "a backup of an unreachable Redis fails");

    const sent = await sentNotifications(topicArn);
    assert.equal(sent.length, 3, JSON.stringify(sent, null, 2));
    const [ok, restored, failure] = sent as [SentNotification, SentNotification, SentNotification];
    assert.equal(ok.subject, `stackvault: backup of ${stack} succeeded (${backupId})`);
    assert.match(ok.message, new RegExp(`Backup id: ${backupId}`));
    assert.match(ok.message, /Size: \d/);
    assert.match(ok.message, /Duration: \d+\.\d s/);
    assert.match(ok.message, /redis: .*keys\S*=25/);
    assert.match(ok.message, /Newest verified backup: \d+ min old/);
    assert.deepEqual(Object.fromEntries(Object.entries(ok.attributes).map(([k, v]) => [k, v.Value])), { stack, operation: "backup", status: "success" });
    assert.equal(restored.subject, `stackvault: restore of ${stack} succeeded (${backupId})`);
    assert.match(restored.message, /redis: .*=25/);
    assert.equal(failure.subject, `stackvault: backup of ${stack} FAILED`);
    assert.match(failure.message, /Error: .+/);
    assert.equal(failure.attributes.status?.Value, "failure");
    assert.ok(!failure.message.includes("\n    at "), "no stack trace in the message");

    const listed = await cw.send(new ListMetricsCommand({ Namespace: namespace }));
    const names = new Set((listed.Metrics ?? []).map((m) => m.MetricName));
    assert.deepEqual([...names].sort(), ["Bytes", "DurationSeconds", "Items", "LatestBackupAgeSeconds", "Success"]);
    const success = await statistics(cw, namespace, "Success", { Stack: stack, Operation: "backup" });
    assert.equal(success[0]?.SampleCount, 2, "one success and one failure");
    assert.equal(success[0]?.Maximum, 1);
    assert.equal(success[0]?.Minimum, 0);
    const restoreSuccess = await statistics(cw, namespace, "Success", { Stack: stack, Operation: "restore" });
    assert.equal(restoreSuccess[0]?.Minimum, 1);
    const bytes = await statistics(cw, namespace, "Bytes", { Stack: stack, Operation: "backup" });
    assert.ok((bytes[0]?.Maximum ?? 0) > 0, "stored bytes are reported");
    const items = (listed.Metrics ?? []).filter((m) => m.MetricName === "Items" && m.Dimensions?.some((d) => d.Name === "Store" && d.Value === "redis"));
    assert.ok(items.length > 0, "counts per store are reported");
  } finally {
    client.disconnect();
    await redis.dispose();
    sns.destroy();
    cw.destroy();
    await rm(dir, { recursive: true, force: true });
  }
});

test("an invalid SNS topic ARN is a configuration error before anything runs", async () => {
  const r = await runCli(["backup", "--stack", "x", "--target", "file:///tmp/none", "--sns-topic", "backups"], { cwd: os.tmpdir(), env: motoCliEnv(REGION) });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /SNS topic ARN/);
});
