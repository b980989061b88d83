/**
 * What a finished backup or restore tells the outside world: one {@link RunReport}, turned into an SNS message
 * (`notify.ts`) and CloudWatch metrics (`metrics.ts`). Built by the caller from the plan's result or error.
 */
import { formatBytes } from "../../core/format.ts";
import { redact } from "../../core/redact.ts";

export interface RunReport {
  operation: "backup" | "restore";
  stack: string;
  success: boolean;
  /** Where the backups live (`s3://…`, `file://…`). */
  target: string;
  /** The backup written (backup) or restored (restore), when known. */
  backupId?: string;
  /** The stack the restored backup came from, when not `stack`. */
  fromStack?: string;
  /** Stored bytes written or read. */
  bytes?: number;
  durationSeconds: number;
  /** Counts per store: `{ neo4j: { nodes: 12, relationships: 3 }, redis: { keys: 40 } }`. */
  counts?: Record<string, Record<string, number>>;
  /** Seconds since the newest verified backup was taken (RPO), after this run. */
  latestAgeSeconds?: number;
  /** The failure, for a failed run (redacted before it leaves). */
  error?: string;
  /** Host the run happened on. */
  host?: string;
  /** When the run finished. */
  finishedAt: Date;
}

/** SNS subjects are at most 100 characters. */
const SUBJECT_MAX = 100;

/** The notification: a subject an inbox can sort by and a body that answers "what, where, how much, why". */
export function notificationText(report: RunReport): { subject: string; message: string } {
  const verb = report.operation === "backup" ? "Backup" : "Restore";
  const outcome = report.success ? "succeeded" : "FAILED";
  const subject = `stackvault: ${report.operation} of ${report.stack} ${outcome}${report.backupId ? ` (${report.backupId})` : ""}`;
  const lines = [
    `${verb} of stack '${report.stack}' ${outcome}.`,
    "",
    ...(report.backupId ? [`Backup id: ${report.fromStack && report.fromStack !== report.stack ? `${report.fromStack}/` : ""}${report.backupId}`] : []),
    `Target: ${report.target}`,
    ...(report.bytes === undefined ? [] : [`Size: ${formatBytes(report.bytes)}`]),
    `Duration: ${report.durationSeconds.toFixed(1)} s`,
    ...Object.entries(report.counts ?? {}).map(([store, c]) => `${store}: ${Object.entries(c).map(([k, v]) => `${k}=${v}`).join(", ") || "(nothing)"}`),
    ...(report.latestAgeSeconds === undefined ? [] : [`Newest verified backup: ${formatAge(report.latestAgeSeconds)} old`]),
    ...(report.error === undefined ? [] : ["", `Error: ${redact(report.error)}`]),
    "",
    `Finished: ${report.finishedAt.toISOString()}${report.host ? ` on ${report.host}` : ""}`,
  ];
  return { subject: subject.length > SUBJECT_MAX ? `${subject.slice(0, SUBJECT_MAX - 1)}…` : subject, message: lines.join("\n") };
}

/** `3 min`, `5.2 h`, `2.1 d`. */
export function formatAge(seconds: number): string {
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}
