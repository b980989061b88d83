/**
 * The `latest` pointer of a stack: a small JSON object naming the newest verified backup. It moves only by a
 * conditional write ("only if unchanged" against what was read), so two runs never interleave a
 * read-modify-write; and it never moves backwards to an older backup.
 */
import { IntegrityError, PreconditionFailedError } from "../core/errors.ts";
import { isBackupId, latestKey } from "../targets/layout.ts";
import { getBytes } from "../targets/target.ts";
import type { Target } from "../targets/target.ts";

export interface LatestPointer {
  backup_id: string;
  /** When the pointer moved (ISO 8601). */
  updated_at: string;
}

/** Reads the pointer, or `undefined` when the stack has no verified backup yet. */
export async function readLatest(target: Target, stack: string, signal?: AbortSignal): Promise<{ pointer: LatestPointer; etag: string } | undefined> {
  const key = latestKey(stack);
  const info = await target.head(key, signal ? { signal } : {});
  if (!info) return undefined;
  const text = (await getBytes(target, key, signal ? { signal } : {})).toString("utf8");
  let pointer: LatestPointer;
  try {
    pointer = JSON.parse(text) as LatestPointer;
  } catch (err) {
    throw new IntegrityError(`The latest pointer ${key} in ${target.location} is not valid JSON.`, { cause: err });
  }
  if (!isBackupId(pointer.backup_id)) throw new IntegrityError(`The latest pointer ${key} in ${target.location} names an invalid backup id.`);
  return { pointer, etag: info.etag };
}

/**
 * Points `latest` at `backupId` unless it already names a newer backup. Returns whether it moved.
 * @throws TargetError when the write fails for a reason other than a concurrent move.
 */
export async function moveLatest(target: Target, stack: string, backupId: string, signal?: AbortSignal): Promise<boolean> {
  const key = latestKey(stack);
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await readLatest(target, stack, signal);
    if (current && current.pointer.backup_id >= backupId) return current.pointer.backup_id === backupId;
    const body = JSON.stringify({ backup_id: backupId, updated_at: new Date().toISOString() } satisfies LatestPointer);
    try {
      await target.put(key, body, { contentType: "application/json", ...(current ? { ifMatch: current.etag } : { ifAbsent: true }), ...(signal ? { signal } : {}) });
      return true;
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
    }
  }
  return false;
}
