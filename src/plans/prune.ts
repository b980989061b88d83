/**
 * The prune plan: take the stack lock, list the stack's backups, decide with `prune-select.ts`, refuse when the
 * newest verified backup shrank suspiciously (unless allowed), then delete each backup that goes — its manifest
 * first, so that an interrupted prune leaves an "incomplete" backup that the next prune removes, never a
 * backup that looks complete but lacks artifacts. `dryRun` takes no lock and deletes nothing.
 *
 * On a versioned bucket a delete leaves noncurrent versions behind; the bucket's lifecycle rule (see
 * `bucket init`) expires them.
 */
import { ValidationError } from "../core/errors.ts";
import type { Emitter } from "../core/events.ts";
import { formatBytes } from "../core/format.ts";
import { backupPrefix, metadataKey, parseBackupId } from "../targets/layout.ts";
import { listAll } from "../targets/target.ts";
import type { Target } from "../targets/target.ts";
import { listBackups } from "./catalog.ts";
import { readLock } from "./lock.ts";
import { selectForPrune } from "./prune-select.ts";
import type { PruneDecision, PruneSelection, RetentionRules } from "./prune-select.ts";
import { holdLock, type LockSettings } from "./run-lock.ts";
import { Cleanups, StepCounter, withCleanups } from "./steps.ts";

export interface PruneOptions {
  target: Target;
  stack: string;
  rules: RetentionRules;
  events: Emitter;
  signal: AbortSignal;
  /** List what would go; no lock, no delete. */
  dryRun?: boolean;
  /** Delete even when the newest verified backup shrank below `rules.minSizeRatio`. */
  allowShrunk?: boolean;
  lock?: LockSettings;
  /** The clock (tests). @default new Date() */
  now?: Date;
}

export interface PruneResult {
  stack: string;
  target: string;
  dryRun: boolean;
  rules: RetentionRules;
  keep: PruneDecision[];
  /** What goes (dry run) or went. */
  delete: PruneDecision[];
  /** Bytes the deleted backups held. */
  freedBytes: number;
  shrunk?: PruneSelection["shrunk"];
  /** Set when the dry run found that a real run would refuse (shrink guard). */
  wouldRefuse?: string;
}

/**
 * Applies the retention policy to one stack.
 * @throws ValidationError when the newest backup shrank and `allowShrunk` is not set (nothing is deleted).
 * @throws LockError when another run holds the stack.
 */
export async function runPrune(options: PruneOptions): Promise<PruneResult> {
  const { target, stack, events, rules } = options;
  const dryRun = options.dryRun === true;
  const leaseMs = options.lock?.leaseMs ?? 900_000;
  const steps = new StepCounter(dryRun ? 2 : 4, events);
  const cleanups = new Cleanups();
  return withCleanups(cleanups, async () => {
    let signal = options.signal;
    let otherRunActive = false;
    if (!dryRun) {
      steps.next(`Locking stack '${stack}'`);
      signal = (await holdLock(target, stack, "prune", { ...(options.lock ? { lock: options.lock } : {}), signal: options.signal, events }, cleanups)).signal;
      events.ok("Lock taken");
    } else {
      const lock = await readLock(target, stack, signal);
      otherRunActive = lock !== undefined && Date.parse(lock.record.expiresAt) > Date.now();
      if (otherRunActive && lock) events.warn(`A ${lock.record.operation} run holds the lock of '${stack}' (until ${lock.record.expiresAt}); its backup is left alone.`);
    }

    steps.next(`Listing the backups of '${stack}' in ${target.location}`);
    const entries = await listBackups(target, stack, signal);
    const now = options.now ?? new Date();
    const selection = selectForPrune(
      entries.map((e) => ({ backupId: e.backupId, time: parseBackupId(e.backupId) ?? now, status: e.status, isLatest: e.isLatest, bytes: e.bytes })),
      rules,
      { now, leaseMs, otherRunActive },
    );
    const freedBytes = selection.delete.reduce((n, d) => n + d.bytes, 0);
    events.ok(`${entries.length} backup(s): ${selection.keep.length} kept, ${selection.delete.length} to delete (${formatBytes(freedBytes)})`);
    const result: PruneResult = { stack, target: target.location, dryRun, rules, keep: selection.keep, delete: selection.delete, freedBytes, ...(selection.shrunk ? { shrunk: selection.shrunk } : {}) };

    if (selection.shrunk && options.allowShrunk !== true) {
      const s = selection.shrunk;
      const message =
        `The newest verified backup ${s.newest} (${formatBytes(s.newestBytes)}) is ${(s.ratio * 100).toFixed(0)}% of the previous one ` +
        `${s.previous} (${formatBytes(s.previousBytes)}), below the ${(rules.minSizeRatio * 100).toFixed(0)}% threshold`;
      if (dryRun) {
        events.warn(`${message}: prune would refuse to delete anything.`);
        return { ...result, wouldRefuse: message };
      }
      throw new ValidationError(`${message}; nothing was deleted.`, {
        hint: "Check that the newest backup is complete (stackvault show / verify). If the data really shrank, run prune with --allow-shrunk, or lower --min-size-ratio.",
      });
    }
    if (dryRun) return result;

    steps.next("Checking the shrink guard");
    events.ok(selection.shrunk ? "The newest backup shrank, pruning anyway (--allow-shrunk)" : "The newest backup did not shrink suspiciously");
    steps.next(`Deleting ${selection.delete.length} backup(s)`);
    for (const d of [...selection.delete].reverse()) {
      const objects = await deleteBackup(target, stack, d.backupId, signal);
      events.ok(`Deleted ${d.backupId} (${d.reasons.join(", ")}): ${objects} object(s), ${formatBytes(d.bytes)}`);
    }
    return result;
  });
}

// --- internal ---

/** Deletes one backup folder, manifest first; returns the number of objects deleted. */
async function deleteBackup(target: Target, stack: string, backupId: string, signal: AbortSignal): Promise<number> {
  const manifest = metadataKey(stack, backupId);
  const keys: string[] = [];
  for await (const info of listAll(target, backupPrefix(stack, backupId), { signal })) keys.push(info.key);
  const ordered = [...keys.filter((k) => k === manifest), ...keys.filter((k) => k !== manifest)];
  for (const key of ordered) await target.delete(key, { signal });
  return ordered.length;
}
