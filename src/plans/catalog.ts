/**
 * What a target holds for a stack: its backups (complete or not), which one `latest` names, and one backup's
 * manifest by id or as `latest`. Read-only.
 */
import { IntegrityError, NotFoundError, StackvaultError } from "../core/errors.ts";
import { readManifest } from "../manifest/index.ts";
import type { Manifest } from "../manifest/index.ts";
import { backupIdFromKey, metadataKey, stackFromKey, stackPrefix, STACKS_PREFIX } from "../targets/layout.ts";
import { listAll } from "../targets/target.ts";
import type { Target } from "../targets/target.ts";
import { readLatest } from "./latest.ts";

export interface CatalogEntry {
  backupId: string;
  /** `completed`: a valid manifest says so; `incomplete`: no manifest (failed, interrupted or running); `invalid`: the manifest does not read. */
  status: "completed" | "failed" | "incomplete" | "invalid";
  isLatest: boolean;
  /** Bytes of every object in the backup folder. */
  bytes: number;
  objects: number;
  manifest?: Manifest;
  /** Why the manifest does not read (status `invalid`). */
  problem?: string;
}

/** Lists the backups of `stack`, oldest first. Memory: one entry per backup. */
export async function listBackups(target: Target, stack: string, signal?: AbortSignal): Promise<CatalogEntry[]> {
  const byId = new Map<string, { bytes: number; objects: number; hasManifest: boolean }>();
  for await (const info of listAll(target, stackPrefix(stack), signal ? { signal } : {})) {
    const id = backupIdFromKey(stack, info.key);
    if (!id) continue;
    const entry = byId.get(id) ?? { bytes: 0, objects: 0, hasManifest: false };
    entry.bytes += info.size;
    entry.objects += 1;
    if (info.key === metadataKey(stack, id)) entry.hasManifest = true;
    byId.set(id, entry);
  }
  const latest = (await readLatest(target, stack, signal))?.pointer.backup_id;
  const out: CatalogEntry[] = [];
  for (const [backupId, facts] of [...byId].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const base = { backupId, isLatest: backupId === latest, bytes: facts.bytes, objects: facts.objects };
    if (!facts.hasManifest) {
      out.push({ ...base, status: "incomplete" });
      continue;
    }
    try {
      const manifest = await readManifest(target, metadataKey(stack, backupId), signal ? { signal } : {});
      out.push({ ...base, status: manifest.status, manifest });
    } catch (err) {
      if (!(err instanceof StackvaultError)) throw err;
      out.push({ ...base, status: "invalid", problem: err.message });
    }
  }
  return out;
}

/** Stacks that have anything in the target. */
export async function listStacks(target: Target, signal?: AbortSignal): Promise<string[]> {
  const stacks = new Set<string>();
  for await (const info of listAll(target, STACKS_PREFIX, signal ? { signal } : {})) {
    const stack = stackFromKey(info.key);
    if (stack) stacks.add(stack);
  }
  return [...stacks].sort();
}

/**
 * The id of the backup to act on: `backupId` when given, else the one `latest` names.
 * @throws NotFoundError when the stack has no `latest`.
 */
export async function resolveBackupId(target: Target, stack: string, backupId: string | undefined, signal?: AbortSignal): Promise<string> {
  if (backupId !== undefined) return backupId;
  const latest = await readLatest(target, stack, signal);
  if (!latest) throw new NotFoundError(`Stack '${stack}' has no verified backup in ${target.location} ('latest' is absent).`, { hint: "List its backups with `stackvault list`, or give --backup-id." });
  return latest.pointer.backup_id;
}

/** Reads a completed backup's manifest. @throws IntegrityError when the backup did not complete. */
export async function completedManifest(target: Target, stack: string, backupId: string, signal?: AbortSignal): Promise<Manifest> {
  const manifest = await readManifest(target, metadataKey(stack, backupId), signal ? { signal } : {});
  if (manifest.status !== "completed") throw new IntegrityError(`Backup ${backupId} of '${stack}' has status '${manifest.status}'.`);
  return manifest;
}
