import { test } from "node:test";
import assert from "node:assert/strict";
import { runMetrics } from "../../src/stack/aws/metrics.ts";
import { topicRegion } from "../../src/stack/aws/notify.ts";
import { notificationText } from "../../src/stack/aws/run-report.ts";
import type { RunReport } from "../../src/stack/aws/run-report.ts";

const base: RunReport = {
  operation: "backup",
  stack: "KnowWhere-Production",
  success: true,
  target: "s3://knowwhere-backups-715927975014",
  backupId: "2025-10-25T14-30-00Z",
  bytes: 315_000_000,
  durationSeconds: 185.4,
  counts: { neo4j: { nodes: 15420, relationships: 48320 }, redis: { keys: 1240 } },
  latestAgeSeconds: 0,
  host: "ip-10-0-0-12",
  finishedAt: new Date("2025-10-25T14:33:05Z"),
};

test("the notification names stack, backup, size, duration, counts and, on failure, the redacted error", () => {
  const ok = notificationText(base);
  assert.equal(ok.subject, "stackvault: backup of KnowWhere-Production succeeded (2025-10-25T14-30-00Z)");
  assert.match(ok.message, /^Backup of stack 'KnowWhere-Production' succeeded\./);
  assert.match(ok.message, /Size: 300 MiB/);
  assert.match(ok.message, /Duration: 185\.4 s/);
  assert.match(ok.message, /neo4j: nodes=15420, relationships=48320/);
  assert.match(ok.message, /Finished: 2025-10-25T14:33:05\.000Z on ip-10-0-0-12/);
  const failed = notificationText({ ...base, success: false, backupId: undefined, bytes: undefined, counts: undefined, error: "connect to redis://:s3cret-pass@10.0.0.5:6379 refused" });
  assert.equal(failed.subject, "stackvault: backup of KnowWhere-Production FAILED");
  assert.match(failed.message, /Error: connect to redis:/);
  assert.ok(!failed.message.includes("s3cret-pass"), failed.message);
  const long = notificationText({ ...base, stack: "x".repeat(128) });
  assert.ok(long.subject.length <= 100);
});

test("metrics: one data point per measure, counts per store and item, all under Stack and Operation", () => {
  const data = runMetrics(base);
  assert.deepEqual(data.map((d) => d.MetricName), ["Success", "DurationSeconds", "Bytes", "LatestBackupAgeSeconds", "Items", "Items", "Items"]);
  assert.ok(data.every((d) => d.Dimensions?.[0]?.Value === "KnowWhere-Production" && d.Dimensions[1]?.Value === "backup"));
  const keys = data.find((d) => d.Dimensions?.some((x) => x.Name === "Item" && x.Value === "keys"));
  assert.equal(keys?.Value, 1240);
  assert.equal(runMetrics({ ...base, success: false })[0]?.Value, 0);
});

test("the SNS client's region comes from the topic ARN", () => {
  assert.equal(topicRegion("arn:aws:sns:eu-west-3:715927975014:backups"), "eu-west-3");
  assert.throws(() => topicRegion("backups"), /Invalid SNS topic ARN/);
});
