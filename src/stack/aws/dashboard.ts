/**
 * The CloudWatch dashboard and alarms of a stack's backups, over the metrics `metrics.ts` sends: size,
 * duration, age of the newest verified backup (RPO), restore duration (RTO), counts per store; an alarm when no
 * backup ran for `maxAgeHours`, and one when a backup failed, both notifying the SNS topic when given.
 * `Put…` calls replace what exists, so running it again updates in place.
 */
import { awsError } from "./errors.ts";

export interface DashboardOptions {
  stack: string;
  namespace: string;
  region: string;
  /** Alarm when no backup ran for this many hours (1–168). @default 26 */
  maxAgeHours?: number;
  /** Alarm actions. @default none */
  snsTopic?: string;
  endpoint?: string;
  signal?: AbortSignal;
}

export interface DashboardResult {
  dashboard: string;
  alarms: string[];
  url: string;
}

/** `stackvault-KnowWhere-Production` (dashboard names allow letters, digits, `-` and `_`). */
export function dashboardName(stack: string): string {
  return `stackvault-${stack.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/** The dashboard body (CloudWatch's JSON). */
export function dashboardBody(stack: string, namespace: string, region: string): Record<string, unknown> {
  const metric = (name: string, operation: "backup" | "restore", stat: string, label: string) => [namespace, name, "Stack", stack, "Operation", operation, { stat, label }];
  const widget = (x: number, y: number, title: string, metrics: unknown[][], extra: Record<string, unknown> = {}) => ({
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, view: "timeSeries", period: 3600, metrics, ...extra },
  });
  return {
    widgets: [
      widget(0, 0, `${stack}: backup size`, [metric("Bytes", "backup", "Maximum", "stored bytes")]),
      widget(12, 0, `${stack}: backup and restore duration (RTO)`, [metric("DurationSeconds", "backup", "Maximum", "backup s"), metric("DurationSeconds", "restore", "Maximum", "restore s")]),
      widget(0, 6, `${stack}: age of the newest verified backup (RPO)`, [metric("LatestBackupAgeSeconds", "backup", "Maximum", "age s")]),
      widget(12, 6, `${stack}: runs and failures`, [metric("Success", "backup", "SampleCount", "backups"), metric("Success", "backup", "Minimum", "all succeeded (1)"), metric("Success", "restore", "SampleCount", "restores")]),
      {
        type: "metric",
        x: 0,
        y: 12,
        width: 24,
        height: 6,
        properties: {
          title: `${stack}: items per store`,
          region,
          view: "timeSeries",
          period: 3600,
          metrics: [[{ expression: `SEARCH('{${namespace},Stack,Operation,Store,Item} Stack="${stack}" Operation="backup" MetricName="Items"', 'Maximum', 3600)`, label: "", id: "items" }]],
        },
      },
    ],
  };
}

/** Creates or updates the dashboard and the two alarms. @throws CloudError when CloudWatch refuses. */
export async function putDashboard(options: DashboardOptions): Promise<DashboardResult> {
  const { CloudWatchClient, PutDashboardCommand, PutMetricAlarmCommand } = await import("@aws-sdk/client-cloudwatch");
  const client = new CloudWatchClient({ region: options.region, ...(options.endpoint ? { endpoint: options.endpoint } : {}), maxAttempts: 3 });
  const send = { ...(options.signal ? { abortSignal: options.signal } : {}) };
  const name = dashboardName(options.stack);
  const hours = Math.min(168, Math.max(1, Math.ceil(options.maxAgeHours ?? 26)));
  const dims = [
    { Name: "Stack", Value: options.stack },
    { Name: "Operation", Value: "backup" },
  ];
  const actions = options.snsTopic ? { AlarmActions: [options.snsTopic], OKActions: [options.snsTopic] } : {};
  const alarms = [`${name}-no-recent-backup`, `${name}-backup-failed`];
  try {
    await client.send(new PutDashboardCommand({ DashboardName: name, DashboardBody: JSON.stringify(dashboardBody(options.stack, options.namespace, options.region)) }), send);
    await client.send(
      new PutMetricAlarmCommand({
        AlarmName: alarms[0],
        AlarmDescription: `No backup of stack ${options.stack} ran in the last ${hours} hours.`,
        Namespace: options.namespace,
        MetricName: "Success",
        Dimensions: dims,
        Statistic: "SampleCount",
        Period: 3600,
        EvaluationPeriods: hours,
        DatapointsToAlarm: hours,
        Threshold: 1,
        ComparisonOperator: "LessThanThreshold",
        TreatMissingData: "breaching",
        ...actions,
      }),
      send,
    );
    await client.send(
      new PutMetricAlarmCommand({
        AlarmName: alarms[1],
        AlarmDescription: `A backup of stack ${options.stack} failed.`,
        Namespace: options.namespace,
        MetricName: "Success",
        Dimensions: dims,
        Statistic: "Minimum",
        Period: 3600,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: "LessThanThreshold",
        TreatMissingData: "notBreaching",
        ...actions,
      }),
      send,
    );
  } catch (err) {
    throw awsError(err, `creating the CloudWatch dashboard ${name}`, options.signal);
  } finally {
    client.destroy();
  }
  return { dashboard: name, alarms, url: `https://${options.region}.console.aws.amazon.com/cloudwatch/home?region=${options.region}#dashboards:name=${name}` };
}
