import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import os from "node:os";
import { CloudWatchClient, DescribeAlarmsCommand, GetDashboardCommand } from "@aws-sdk/client-cloudwatch";
import { runCli } from "../cli/run-cli.ts";
import { MOTO_CREDENTIALS, motoCliEnv, motoEndpoint } from "./moto.ts";

test("dashboard creates the stack's CloudWatch dashboard and alarms in the emulator; a second run updates them in place", { timeout: 120_000 }, async () => {
  const stack = `Dash.${randomBytes(3).toString("hex")}`;
  const topic = "arn:aws:sns:eu-west-1:123456789012:backups";
  const cw = new CloudWatchClient({ region: "eu-west-1", endpoint: motoEndpoint(), credentials: MOTO_CREDENTIALS });
  try {
    const args = ["dashboard", "--json", "--stack", stack, "--region", "eu-west-1", "--sns-topic", topic, "--metrics-namespace", "KnowWhere/Backups"];
    const first = await runCli([...args, "--max-age-hours", "30"], { cwd: os.tmpdir(), env: motoCliEnv() });
    assert.equal(first.code, 0, first.stderr);
    const result = JSON.parse(first.stdout) as { dashboard: string; alarms: string[] };
    const name = `stackvault-${stack.replace(".", "_")}`;
    assert.equal(result.dashboard, name);

    const body = JSON.parse((await cw.send(new GetDashboardCommand({ DashboardName: name }))).DashboardBody ?? "{}") as { widgets: { properties: { title: string; metrics: unknown[][] } }[] };
    assert.equal(body.widgets.length, 5);
    assert.ok(body.widgets.some((w) => w.properties.title.includes("RPO")));
    assert.deepEqual(body.widgets[0]?.properties.metrics[0]?.slice(0, 6), ["KnowWhere/Backups", "Bytes", "Stack", stack, "Operation", "backup"]);

    const alarms = (await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: name }))).MetricAlarms ?? [];
    const byName = new Map(alarms.map((a) => [a.AlarmName, a]));
    const stale = byName.get(`${name}-no-recent-backup`);
    assert.equal(stale?.EvaluationPeriods, 30);
    assert.equal(stale?.TreatMissingData, "breaching");
    assert.equal(stale?.Namespace, "KnowWhere/Backups");
    assert.deepEqual(stale?.AlarmActions, [topic]);
    assert.equal(byName.get(`${name}-backup-failed`)?.Statistic, "Minimum");

    const second = await runCli([...args, "--max-age-hours", "48"], { cwd: os.tmpdir(), env: motoCliEnv() });
    assert.equal(second.code, 0, second.stderr);
    const again = (await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: name }))).MetricAlarms ?? [];
    assert.equal(again.length, 2);
    assert.equal(again.find((a) => a.AlarmName === `${name}-no-recent-backup`)?.EvaluationPeriods, 48);
  } finally {
    cw.destroy();
  }
});
