/** Publishes a {@link RunReport} to an SNS topic (e-mail, chat or queue subscribers get the text). */
import { ConfigError } from "../../core/errors.ts";
import { awsError } from "./errors.ts";
import { notificationText } from "./run-report.ts";
import type { RunReport } from "./run-report.ts";

export interface SnsSettings {
  /** `arn:aws:sns:REGION:ACCOUNT:NAME`; the client uses the ARN's region. */
  topicArn: string;
  /** Endpoint of an emulator. @default the SDK's (AWS, or AWS_ENDPOINT_URL) */
  endpoint?: string;
  signal?: AbortSignal;
}

/** `arn:aws:sns:eu-west-1:123456789012:backups` → `eu-west-1`. @throws ConfigError for another shape. */
export function topicRegion(topicArn: string): string {
  const m = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.exec(topicArn);
  if (!m?.[1]) throw new ConfigError(`Invalid SNS topic ARN ${JSON.stringify(topicArn)}.`, { hint: "Expected arn:aws:sns:REGION:ACCOUNT:TOPIC." });
  return m[1];
}

/**
 * Publishes the report; message attributes `stack`, `operation` and `status` let subscribers filter.
 * @returns the SNS message id.
 * @throws CloudError when SNS refuses (the caller decides whether that fails the run).
 */
export async function publishRunReport(report: RunReport, settings: SnsSettings): Promise<string> {
  const { SNSClient, PublishCommand } = await import("@aws-sdk/client-sns");
  const client = new SNSClient({ region: topicRegion(settings.topicArn), ...(settings.endpoint ? { endpoint: settings.endpoint } : {}), maxAttempts: 3 });
  const { subject, message } = notificationText(report);
  const attribute = (value: string) => ({ DataType: "String", StringValue: value });
  try {
    const out = await client.send(
      new PublishCommand({
        TopicArn: settings.topicArn,
        Subject: subject,
        Message: message,
        MessageAttributes: { stack: attribute(report.stack), operation: attribute(report.operation), status: attribute(report.success ? "success" : "failure") },
        ...(settings.topicArn.endsWith(".fifo") ? { MessageGroupId: report.stack } : {}),
      }),
      settings.signal ? { abortSignal: settings.signal } : {},
    );
    return out.MessageId ?? "";
  } catch (err) {
    throw awsError(err, `publishing to ${settings.topicArn}`, settings.signal);
  } finally {
    client.destroy();
  }
}
