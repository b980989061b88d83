/**
 * File-system building blocks of the local target: directory fsync, per-key lock files, the key-ordered walk
 * behind `list`, and the mapping of `errno` codes to messages that say what to do.
 */
import { mkdir, open, readdir, rmdir, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { TargetError } from "../core/errors.ts";
import { cancelled } from "./body.ts";
import { RESERVED_SEGMENT_PREFIX } from "./object-key.ts";

/** Prefix of temporary files (a put in progress); never listed. */
export const TEMP_PREFIX = `${RESERVED_SEGMENT_PREFIX}tmp-`;
/** Prefix of per-key lock files; never listed. */
export const LOCK_PREFIX = `${RESERVED_SEGMENT_PREFIX}lock-`;

export interface LockTiming {
  /** A lock file older than this is left over from a crashed process and is removed. @default 30000 */
  staleMs: number;
  /** Give up waiting for a lock after this long. @default 60000 */
  timeoutMs: number;
}

/** Flushes a directory's entries (a rename or unlink in it) to disk. No-op where the OS refuses. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } catch (err) {
    if (!["EINVAL", "EISDIR", "EPERM", "EBADF"].includes(code(err))) throw err;
  } finally {
    await handle.close();
  }
}

/** `mkdir -p dir`, then fsyncs the parents of the folders it created so that they survive a crash. */
export async function ensureDir(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  for (let d = path.dirname(first); ; d = path.join(d, path.relative(d, dir).split(path.sep)[0] ?? "")) {
    await fsyncDir(d);
    if (d === dir) return;
  }
}

/**
 * Takes the lock of the object at `file`: a lock file created with `O_EXCL` next to it, holding the owner's
 * pid, host and time. Waits (polling with backoff) while another writer holds it; removes it when it is older
 * than `staleMs` (a crashed writer; mutations hold it for milliseconds).
 * @returns the function that releases it.
 * @throws TargetError after `timeoutMs`; CancelledError when `signal` aborts.
 */
export async function lockFile(file: string, timing: LockTiming, signal?: AbortSignal): Promise<() => Promise<void>> {
  const lock = path.join(path.dirname(file), `${LOCK_PREFIX}${path.basename(file)}`);
  const started = Date.now();
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    if (signal?.aborted) throw cancelled(signal, `waiting for the lock of ${file}`);
    try {
      const handle = await open(lock, "wx");
      try {
        await handle.writeFile(`${process.pid} ${hostname()} ${new Date().toISOString()}\n`);
      } finally {
        await handle.close();
      }
      return async () => unlink(lock).catch(() => undefined);
    } catch (err) {
      if (code(err) === "ENOENT") {
        await ensureDir(path.dirname(lock));
        continue;
      }
      if (code(err) !== "EEXIST") throw fsError(err, "create a lock file in", path.dirname(lock));
    }
    const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > timing.staleMs) {
      await unlink(lock).catch(() => undefined);
      continue;
    }
    if (Date.now() - started > timing.timeoutMs) {
      throw new TargetError(`Timed out waiting for the lock file ${lock}.`, {
        hint: "Another process is writing this object. If none is running, delete the lock file.",
      });
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** Removes the empty folders from `dir` up to (not including) `root`; stops at the first non-empty one. */
export async function pruneEmptyDirs(dir: string, root: string): Promise<void> {
  for (let d = dir; d !== root && d.startsWith(root + path.sep); d = path.dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
  }
}

/**
 * Yields the files under `root` whose key starts with `prefix` and sorts after `after`, in ascending UTF-8 byte
 * order of their keys (as S3 lists). Skips reserved names, symbolic links and anything not a regular file.
 */
export async function* walkKeys(root: string, prefix: string, after: string | undefined): AsyncGenerator<string> {
  const cut = prefix.lastIndexOf("/") + 1;
  yield* walkDir(path.join(root, ...prefix.slice(0, cut).split("/")), prefix.slice(0, cut), prefix, after);
}

/** The `errno` code of a Node.js system error, or `""`. */
export function code(err: unknown): string {
  return typeof err === "object" && err !== null && "code" in err ? String(err.code) : "";
}

/** A {@link TargetError} for a failed file-system call, naming the path and what to do about it. */
export function fsError(err: unknown, action: string, where: string): TargetError {
  const c = code(err);
  const fix = "Make the folder writable by the user running stackvault (chown/chmod), or choose another target folder.";
  const known: Record<string, [string, string]> = {
    EACCES: ["permission denied", fix],
    EPERM: ["operation not permitted", fix],
    EROFS: ["the file system is read-only", "Choose a target folder on a writable file system."],
    ENOTDIR: ["a file is in the way of a folder", "Point the target at a folder, not at a file."],
    EEXIST: ["a file is in the way of a folder", "Point the target at a folder, not at a file."],
    ENOSPC: ["no space left on the device", "Free some space or choose another target folder."],
    EDQUOT: ["the disk quota is exceeded", "Free some space or choose another target folder."],
  };
  const [what, hint] = known[c] ?? [c || String(err), "Check the target folder."];
  return new TargetError(`Cannot ${action} ${where}: ${what}.`, { cause: err, hint });
}

// --- internal ---

async function* walkDir(dir: string, dirKey: string, prefix: string, after: string | undefined): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return;
    throw fsError(err, "list", dir);
  }
  const named = entries
    .filter((e) => !e.name.startsWith(RESERVED_SEGMENT_PREFIX) && (e.isFile() || e.isDirectory()))
    .map((e) => ({ key: `${dirKey}${e.name}${e.isDirectory() ? "/" : ""}`, entry: e }))
    .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  for (const { key, entry } of named) {
    if (entry.isDirectory()) {
      if (!key.startsWith(prefix) && !prefix.startsWith(key)) continue;
      // Every key below starts with `key`: when `after` does not and sorts after it, the subtree is done.
      if (after !== undefined && !after.startsWith(key) && Buffer.compare(Buffer.from(key), Buffer.from(after)) < 0) continue;
      yield* walkDir(path.join(dir, entry.name), key, prefix, after);
    } else if (key.startsWith(prefix) && (after === undefined || Buffer.compare(Buffer.from(key), Buffer.from(after)) > 0)) {
      yield key;
    }
  }
}
