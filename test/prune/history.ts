/** Builds a backup history in a target for prune tests: completed, failed and manifest-less backups. */
import { randomBytes } from "node:crypto";
import { writeManifest } from "../../src/manifest/index.ts";
import { moveLatest } from "../../src/plans/latest.ts";
import { artifactKey, metadataKey, newBackupId } from "../../src/targets/layout.ts";
import type { Target } from "../../src/targets/target.ts";
import { exampleManifest } from "../manifest/example.ts";

export interface HistoryEntry {
  time: Date;
  status: "completed" | "failed" | "incomplete";
  /** Bytes of the one artifact. */
  bytes: number;
}

/** Writes each entry as a backup folder (artifact, then the manifest unless incomplete); returns the ids. */
export async function writeHistory(target: Target, stack: string, entries: readonly HistoryEntry[]): Promise<string[]> {
  const ids: string[] = [];
  for (const e of entries) {
    const id = newBackupId(e.time);
    await target.put(artifactKey(stack, id, "redis/redis-dump.rdb.zst"), randomBytes(e.bytes));
    if (e.status !== "incomplete") {
      const m = exampleManifest();
      await writeManifest(target, metadataKey(stack, id), {
        ...m,
        backup_id: id,
        backup_timestamp: e.time.toISOString().replace(/\.\d{3}Z$/, "Z"),
        stack_name: stack,
        databases: { redis: m.databases.redis },
        status: e.status,
      });
    }
    ids.push(id);
  }
  return ids;
}

/** Points `latest` at `id`. */
export async function pointLatest(target: Target, stack: string, id: string): Promise<void> {
  await moveLatest(target, stack, id);
}

/** One entry a day at 03:00 UTC, `days` days ending `daysAgo` days before now. */
export function dailyHistory(days: number, bytes: number, endDaysAgo = 1): HistoryEntry[] {
  const today = new Date();
  const base = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), 3);
  return Array.from({ length: days }, (_, i) => ({ time: new Date(base - (endDaysAgo + days - 1 - i) * 86_400_000), status: "completed" as const, bytes }));
}
