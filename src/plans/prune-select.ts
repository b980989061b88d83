/**
 * Which backups `prune` keeps and which it deletes: pure, no I/O, so it is tested on generated histories.
 *
 * Rules (restic's semantics, on UTC calendar buckets; only verified, completed backups are ever counted):
 * - `keepLast` N: the N newest verified backups;
 * - `keepDaily` / `keepWeekly` / `keepMonthly` N: going from the newest backup back, the newest backup of each
 *   of the last N days / ISO weeks / months that have a verified backup;
 * - `keepWithinDays` D: every verified backup younger than D days (the seed's "7 days" policy);
 * - the backup `latest` names is always kept.
 *
 * Other backups:
 * - `failed` (a manifest that says so): deleted, never counted;
 * - `incomplete` (no manifest): deleted only once no other run holds the stack's lock AND its lease length has
 *   passed since the backup started; until then it may be a running backup and is kept;
 * - `invalid` (a manifest that does not read, perhaps a newer format): kept and reported, never deleted blindly.
 *
 * Shrink guard: when the newest verified backup is smaller than `minSizeRatio` × the previous verified one, the
 * selection says so (`shrunk`) and the plan refuses to delete anything unless told otherwise.
 */

/** The retention policy in effect (config, `retention-policy.json`, flags). */
export interface RetentionRules {
  keepLast: number;
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
  /** Keep every verified backup younger than this many days. @default 0 (off) */
  keepWithinDays?: number;
  /** 0 turns the shrink guard off. */
  minSizeRatio: number;
}

/** One backup as the catalog sees it. */
export interface PruneCandidate {
  backupId: string;
  /** When the backup started (its id). */
  time: Date;
  status: "completed" | "failed" | "incomplete" | "invalid";
  isLatest: boolean;
  bytes: number;
}

export interface PruneContext {
  now: Date;
  /** The stack lock's lease length: an incomplete backup younger than this may still be running. */
  leaseMs: number;
  /** True when a live lock of another run exists (a backup may be writing right now). */
  otherRunActive: boolean;
}

export interface PruneDecision {
  backupId: string;
  status: PruneCandidate["status"];
  bytes: number;
  /** Why it stays (`last 3`, `daily 2025-10-25`, `latest`…) or goes (`outside the policy`, `failed`…). */
  reasons: string[];
}

export interface PruneSelection {
  keep: PruneDecision[];
  delete: PruneDecision[];
  /** Set when the newest verified backup shrank below the ratio. */
  shrunk?: { newest: string; previous: string; newestBytes: number; previousBytes: number; ratio: number };
}

/** Decides keep/delete for every backup; output lists are newest first. */
export function selectForPrune(candidates: readonly PruneCandidate[], rules: RetentionRules, context: PruneContext): PruneSelection {
  const newestFirst = [...candidates].sort((a, b) => b.time.getTime() - a.time.getTime() || (a.backupId < b.backupId ? 1 : -1));
  const reasons = new Map<string, string[]>(newestFirst.map((c) => [c.backupId, []]));
  const add = (id: string, reason: string) => reasons.get(id)?.push(reason);
  const verified = newestFirst.filter((c) => c.status === "completed");

  verified.slice(0, Math.max(0, rules.keepLast)).forEach((c, i) => add(c.backupId, `last ${i + 1}`));
  const buckets: [string, number, (d: Date) => string][] = [
    ["daily", rules.keepDaily, dayOf],
    ["weekly", rules.keepWeekly, isoWeekOf],
    ["monthly", rules.keepMonthly, monthOf],
  ];
  for (const [name, count, bucketOf] of buckets) {
    let left = count;
    let previous: string | undefined;
    for (const c of verified) {
      if (left <= 0) break;
      const bucket = bucketOf(c.time);
      if (bucket === previous) continue;
      previous = bucket;
      left -= 1;
      add(c.backupId, `${name} ${bucket}`);
    }
  }
  const withinDays = rules.keepWithinDays ?? 0;
  if (withinDays > 0) {
    const limit = context.now.getTime() - withinDays * 86_400_000;
    for (const c of verified) if (c.time.getTime() >= limit) add(c.backupId, `within ${withinDays} days`);
  }

  const keep: PruneDecision[] = [];
  const del: PruneDecision[] = [];
  for (const c of newestFirst) {
    const why = reasons.get(c.backupId) ?? [];
    if (c.isLatest) why.unshift("latest");
    const decision = (list: PruneDecision[], r: string[]) => list.push({ backupId: c.backupId, status: c.status, bytes: c.bytes, reasons: r });
    if (c.status === "completed") {
      if (why.length > 0) decision(keep, why);
      else decision(del, ["outside the policy"]);
    } else if (c.isLatest) {
      decision(keep, why);
    } else if (c.status === "failed") {
      decision(del, ["failed backup"]);
    } else if (c.status === "invalid") {
      decision(keep, ["manifest does not read (newer format?): left alone"]);
    } else if (context.otherRunActive) {
      decision(keep, ["incomplete, and another run holds the lock: it may still be writing"]);
    } else if (c.time.getTime() + context.leaseMs > context.now.getTime()) {
      decision(keep, [`incomplete, started less than a lease ago (${Math.round(context.leaseMs / 1000)} s): it may still be running`]);
    } else {
      decision(del, ["incomplete (no manifest), its lease has expired"]);
    }
  }

  const selection: PruneSelection = { keep, delete: del };
  const [newest, previous] = verified;
  if (newest && previous && rules.minSizeRatio > 0 && previous.bytes > 0 && newest.bytes < previous.bytes * rules.minSizeRatio) {
    selection.shrunk = { newest: newest.backupId, previous: previous.backupId, newestBytes: newest.bytes, previousBytes: previous.bytes, ratio: newest.bytes / previous.bytes };
  }
  return selection;
}

/** `2025-10-25` (UTC). */
export function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** `2025-10` (UTC). */
export function monthOf(d: Date): string {
  return d.toISOString().slice(0, 7);
}

/** ISO-8601 week of the UTC date, `2025-W43` (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeekOf(d: Date): string {
  const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}
