/**
 * CloudWatch metrics of a run, under a namespace (default `Stackvault`), all with the dimensions `Stack` and
 * `Operation` (`backup`/`restore`):
 *
 * | Metric | Unit | |
 * |---|---|---|
 * | `Success` | Count | 1 on success, 0 on failure (alarm on `Minimum < 1`) |
 * | `DurationSeconds` | Seconds | wall time of the run |
 * | `Bytes` | Bytes | stored bytes written or read |
 * | `LatestBackupAgeSeconds` | Seconds | age of the newest verified backup after the run (RPO) |
 * | `Items` | Count | per store and item (extra dimensions `Store`, `Item`): nodes, relationships, points, keys |
 */
import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import { awsError } from "./errors.ts";
import type { RunReport } from "./run-report.ts";

export const DEFAULT_METRICS_NAMESPACE = "Stackvault";

export interface MetricsSettings {
  namespace: string;
  region: string;
  /** Endpoint of an emulator. @default the SDK's (AWS, or AWS_ENDPOINT_URL) */
  endpoint?: string;
  signal?: AbortSignal;
}

/** The data points of one report. */
export function runMetrics(report: RunReport): MetricDatum[] {
  const dims = [
    { Name: "Stack", Value: report.stack },
    { Name: "Operation", Value: report.operation },
  ];
  const at = report.finishedAt;
  const data: MetricDatum[] = [
    { MetricName: "Success", Dimensions: dims, Unit: "Count", Value: report.success ? 1 : 0, Timestamp: at },
    { MetricName: "DurationSeconds", Dimensions: dims, Unit: "Seconds", Value: report.durationSeconds, Timestamp: at },
  ];
  if (report.bytes !== undefined) data.push({ MetricName: "Bytes", Dimensions: dims, Unit: "Bytes", Value: report.bytes, Timestamp: at });
  if (report.latestAgeSeconds !== undefined) data.push({ MetricName: "LatestBackupAgeSeconds", Dimensions: dims, Unit: "Seconds", Value: report.latestAgeSeconds, Timestamp: at });
  for (const [store, counts] of Object.entries(report.counts ?? {})) {
    for (const [item, value] of Object.entries(counts)) {
      data.push({ MetricName: "Items", Dimensions: [...dims, { Name: "Store", Value: store }, { Name: "Item", Value: item }], Unit: "Count", Value: value, Timestamp: at });
    }
  }
  return data;
}

/**
 * Sends the report's metrics (in batches of 20 data points).
 * @throws CloudError when CloudWatch refuses.
 */
export async function putRunMetrics(report: RunReport, settings: MetricsSettings): Promise<number> {
  const { CloudWatchClient, PutMetricDataCommand } = await import("@aws-sdk/client-cloudwatch");
  const client = new CloudWatchClient({ region: settings.region, ...(settings.endpoint ? { endpoint: settings.endpoint } : {}), maxAttempts: 3 });
  const data = runMetrics(report);
  try {
    for (let i = 0; i < data.length; i += 20) {
      await client.send(new PutMetricDataCommand({ Namespace: settings.namespace, MetricData: data.slice(i, i + 20) }), settings.signal ? { abortSignal: settings.signal } : {});
    }
    return data.length;
  } catch (err) {
    throw awsError(err, `putting metrics into CloudWatch namespace ${settings.namespace}`, settings.signal);
  } finally {
    client.destroy();
  }
}
