/**
 * After a backup or restore, success or failure: the SNS notification (`notify.snsTopic`) and the CloudWatch
 * metrics (`notify.metricsNamespace`). Neither can change the run's outcome: a failure to notify is a warning,
 * and the run's own error is rethrown unchanged.
 */
import os from "node:os";
import type { Config } from "../config/schema.ts";
import type { Emitter } from "../core/events.ts";
import type { Manifest } from "../manifest/index.ts";
import type { BackupResult } from "../plans/backup.ts";
import { readLatest } from "../plans/latest.ts";
import type { RestoreResult } from "../plans/restore.ts";
import { putRunMetrics } from "../stack/aws/metrics.ts";
import { publishRunReport } from "../stack/aws/notify.ts";
import type { RunReport } from "../stack/aws/run-report.ts";
import { parseBackupId } from "../targets/layout.ts";
import type { Target } from "../targets/target.ts";

/** What a result says about the run (undefined: nothing to report, e.g. a dry run). */
export type RunFacts<R> = (result: R) => Pick<RunReport, "backupId" | "fromStack" | "bytes" | "counts"> | undefined;

export interface ReportingOptions {
  config: Config;
  events: Emitter;
  operation: RunReport["operation"];
  stack: string;
  target: Target;
  /** False skips every report (dry runs). @default true */
  enabled?: boolean;
}

/** Runs `run`, then reports its outcome; returns its result or rethrows its error. */
export async function withRunReport<R>(options: ReportingOptions, run: () => Promise<R>, facts: RunFacts<R>): Promise<R> {
  const started = Date.now();
  const { notify } = options.config;
  const active = options.enabled !== false && (notify.snsTopic !== undefined || notify.metricsNamespace !== undefined);
  let result: R;
  try {
    result = await run();
  } catch (err) {
    if (active) await send(options, { success: false, durationSeconds: (Date.now() - started) / 1000, error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
  const found = active ? facts(result) : undefined;
  if (found) await send(options, { ...found, success: true, durationSeconds: (Date.now() - started) / 1000 });
  return result;
}

/** Facts of a backup: id, stored bytes, counts per store. */
export const backupFacts: RunFacts<BackupResult> = (r) => ({ backupId: r.backupId, bytes: r.storedBytes, counts: manifestCounts(r.manifest) });

/** Facts of a restore (none for a dry run): the restored backup, its bytes and counts per store. */
export const restoreFacts: RunFacts<RestoreResult> = (r) =>
  r.restored
    ? {
        backupId: r.plan.backupId,
        fromStack: r.plan.fromStack,
        bytes: r.plan.stores.reduce((n, s) => n + s.bytes, 0),
        counts: Object.fromEntries(r.plan.stores.map((s) => [s.engine, { ...s.backup }])),
      }
    : undefined;

// --- internal ---

const SEND_TIMEOUT_MS = 20_000;

async function send(options: ReportingOptions, outcome: Pick<RunReport, "success" | "durationSeconds" | "error" | "backupId" | "fromStack" | "bytes" | "counts">): Promise<void> {
  const { config, events, operation, stack, target } = options;
  const signal = AbortSignal.timeout(SEND_TIMEOUT_MS);
  const report: RunReport = { ...outcome, operation, stack, target: target.location, host: os.hostname(), finishedAt: new Date() };
  try {
    const latest = await readLatest(target, stack, signal);
    const at = latest ? parseBackupId(latest.pointer.backup_id) : undefined;
    if (at) report.latestAgeSeconds = Math.max(0, (report.finishedAt.getTime() - at.getTime()) / 1000);
  } catch {
    // The age of latest is a nice-to-have; an unreachable target is already in the report's error.
  }
  const topic = config.notify.snsTopic;
  if (topic !== undefined) {
    try {
      const id = await publishRunReport(report, { topicArn: topic, signal });
      events.ok(`Notified ${topic} (message ${id})`);
    } catch (err) {
      events.warn(`Could not notify ${topic}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const namespace = config.notify.metricsNamespace;
  if (namespace !== undefined) {
    try {
      const n = await putRunMetrics(report, { namespace, region: config.region, signal });
      events.ok(`Sent ${n} metric(s) to CloudWatch namespace ${namespace}`);
    } catch (err) {
      events.warn(`Could not send metrics to CloudWatch: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function manifestCounts(m: Manifest): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [store, db] of Object.entries(m.databases)) {
    if (db && typeof db === "object" && "counts" in db && db.counts) out[store] = { ...(db.counts as Record<string, number>) };
  }
  return out;
}
