/**
 * The local-folder target (`file:///dir`), the embedded default.
 *
 * Durability and atomicity: a put streams into a temporary file in the object's own folder, fsyncs it, then
 * renames it over the object (or hard-links it, for "only if absent") and fsyncs the folder. Readers see the
 * old object or the complete new one; a failed or aborted put removes its temporary file.
 *
 * Conditional puts hold under races between processes: every mutation of a key (put, delete) holds a per-key
 * lock file created with `O_EXCL` next to the object while it checks the condition and renames; "only if
 * absent" additionally uses `link()`, which fails atomically when the object exists. A lock file left by a
 * crashed process is removed after `lockStaleMs`.
 *
 * Etag: `{inode}-{size}-{mtime ns}-{ctime ns}` of the file, read under the lock right after the rename. Every
 * put creates a new file, so the etag changes with every write; the one theoretical blind spot is a write
 * that reuses a freed inode with the same size and the same timestamps (file-system timestamp granularity,
 * about a millisecond), which the lock makes irrelevant for writers that read-then-write through `ifMatch`.
 *
 * Memory: one chunk of the body at a time (the source's high-water mark).
 *
 * Unlike S3, a key cannot be both an object and the folder of other keys (`a` and `a/b`); the layout never
 * asks for that, and the file system refuses it with a TargetError.
 */
import { link, open, rename, stat, unlink } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { NotFoundError, PreconditionFailedError, TargetError, throwIfAborted } from "../core/errors.ts";
import type { GetOptions, ListOptions, ListPage, ObjectInfo, PutOptions, PutResult, Target } from "./target.ts";
import { assertRange, bodyStream, cancelled, cancelStreamOnAbort, onAbort } from "./body.ts";
import { assertListPrefix, assertObjectKey } from "./object-key.ts";
import { code, ensureDir, fsError, fsyncDir, lockFile, pruneEmptyDirs, TEMP_PREFIX, walkKeys } from "./local-fs.ts";

export interface LocalTargetOptions {
  /** The folder holding the objects; created on the first put. Relative paths resolve against the cwd. */
  dir: string;
  /** Age after which a per-key lock file is considered left by a crashed process. @default 30000 */
  lockStaleMs?: number;
  /** How long a mutation waits for a per-key lock before failing. @default 60000 */
  lockTimeoutMs?: number;
}

/** Creates a local-folder target. Nothing is touched on disk until the first operation. */
export function createLocalTarget(options: LocalTargetOptions): Target {
  return new LocalTarget(options);
}

// --- internal ---

class LocalTarget implements Target {
  readonly kind = "local";
  readonly location: string;
  readonly #root: string;
  readonly #timing: { staleMs: number; timeoutMs: number };

  constructor(options: LocalTargetOptions) {
    this.#root = path.resolve(options.dir);
    this.location = pathToFileURL(this.#root).href;
    this.#timing = { staleMs: options.lockStaleMs ?? 30_000, timeoutMs: options.lockTimeoutMs ?? 60_000 };
  }

  async put(key: string, body: Readable | Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
    const file = this.#path(key);
    const { signal } = options;
    throwIfAborted(signal);
    const dir = path.dirname(file);
    const temp = path.join(dir, `${TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
    const source = bodyStream(body);
    // Whatever fails, the producer upstream must not wait forever on a stream nobody reads any more.
    const size = await this.#writeTemp(temp, source, options, key).finally(() => source.destroy());
    try {
      const unlock = await lockFile(file, this.#timing, signal);
      try {
        if (signal?.aborted) throw cancelled(signal, `writing ${key} to ${this.location}`);
        await this.#commit(temp, file, key, options);
        // After link() the temporary name still counts as a link: drop it before reading the etag (ctime).
        await unlink(temp).catch(() => undefined);
        await fsyncDir(dir).catch((err: unknown) => {
          throw fsError(err, "flush the folder", dir);
        });
        return { etag: etagOf(await stat(file, { bigint: true })), size };
      } finally {
        await unlock();
      }
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    const file = this.#path(key);
    assertRange(options.range, key);
    throwIfAborted(options.signal);
    const handle = await open(file, "r").catch((err: unknown) => {
      if (["ENOENT", "ENOTDIR", "EISDIR"].includes(code(err))) throw new NotFoundError(`No object ${key} on ${this.location}.`);
      throw fsError(err, "read", file);
    });
    const st = await handle.stat();
    const size = st.size;
    if (!st.isFile()) {
      await handle.close();
      throw new NotFoundError(`No object ${key} on ${this.location}.`);
    }
    const range = options.range;
    if (range !== undefined && range.start >= size) {
      await handle.close();
      throw new TargetError(`Range start ${range.start} is beyond the end of ${key} (${size} bytes).`);
    }
    const stream = handle.createReadStream(range === undefined ? {} : { start: range.start, end: range.end ?? size - 1 });
    return cancelStreamOnAbort(stream, options.signal, `reading ${key} from ${this.location}`);
  }

  async head(key: string, options: { signal?: AbortSignal } = {}): Promise<ObjectInfo | undefined> {
    const file = this.#path(key);
    throwIfAborted(options.signal);
    const st = await stat(file, { bigint: true }).catch((err: unknown) => {
      if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return undefined;
      throw fsError(err, "read", file);
    });
    return st?.isFile() ? infoOf(key, st) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    assertListPrefix(prefix, this.location);
    throwIfAborted(options.signal);
    const pageSize = Math.max(1, options.pageSize ?? 1000);
    const objects: ObjectInfo[] = [];
    for await (const key of walkKeys(this.#root, prefix, options.token)) {
      throwIfAborted(options.signal);
      if (objects.length === pageSize) return { objects, next: objects[pageSize - 1]!.key };
      const st = await stat(this.#path(key), { bigint: true }).catch(() => undefined);
      if (st?.isFile()) objects.push(infoOf(key, st));
    }
    return { objects };
  }

  async delete(key: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const file = this.#path(key);
    throwIfAborted(options.signal);
    if ((await stat(file).catch(() => undefined)) === undefined) return;
    const unlock = await lockFile(file, this.#timing, options.signal);
    try {
      await unlink(file).catch((err: unknown) => {
        if (code(err) !== "ENOENT") throw fsError(err, "delete", file);
      });
      await fsyncDir(path.dirname(file));
    } finally {
      await unlock();
    }
    await pruneEmptyDirs(path.dirname(file), this.#root);
  }

  async close(): Promise<void> {}

  #path(key: string): string {
    return path.join(this.#root, ...assertObjectKey(key, this.location).split("/"));
  }

  /** Streams the body into `temp` and fsyncs it. @returns bytes written. */
  async #writeTemp(temp: string, source: Readable, options: PutOptions, key: string): Promise<number> {
    const { signal } = options;
    const handle = await this.#openTemp(temp);
    let size = 0;
    let aborted = false;
    const off = onAbort(signal, () => {
      aborted = true;
      source.destroy(cancelled(signal, `writing ${key} to ${this.location}`));
    });
    try {
      for await (const chunk of source) {
        const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Uint8Array);
        await handle.write(buf).catch((err: unknown) => {
          throw fsError(err, "write", temp);
        });
        size += buf.byteLength;
        options.onProgress?.(size);
      }
      await handle.sync().catch((err: unknown) => {
        throw fsError(err, "flush", temp);
      });
      return size;
    } catch (err) {
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw aborted ? cancelled(signal, `writing ${key} to ${this.location}`) : err;
    } finally {
      off();
      await handle.close().catch(() => undefined);
    }
  }

  async #openTemp(temp: string) {
    for (let attempt = 0; ; attempt++) {
      try {
        await ensureDir(path.dirname(temp));
        return await open(temp, "wx");
      } catch (err) {
        // A concurrent delete may remove the (empty) folder between mkdir and open: try again.
        if (code(err) === "ENOENT" && attempt < 3) continue;
        throw fsError(err, "write to", this.#root);
      }
    }
  }

  async #commit(temp: string, file: string, key: string, options: PutOptions): Promise<void> {
    if (options.ifAbsent) {
      await link(temp, file).catch((err: unknown) => {
        if (code(err) === "EEXIST") throw new PreconditionFailedError(`${key} already exists on ${this.location}.`);
        throw fsError(err, "write", file);
      });
      return;
    }
    if (options.ifMatch !== undefined) {
      const current = await stat(file, { bigint: true }).catch(() => undefined);
      if (current === undefined || etagOf(current) !== options.ifMatch) {
        throw new PreconditionFailedError(`${key} on ${this.location} changed or disappeared (etag mismatch).`);
      }
    }
    await rename(temp, file).catch((err: unknown) => {
      throw fsError(err, "write", file);
    });
  }
}

function etagOf(st: BigIntStats): string {
  return `${st.ino.toString(36)}-${st.size.toString(36)}-${st.mtimeNs.toString(36)}-${st.ctimeNs.toString(36)}`;
}

function infoOf(key: string, st: BigIntStats): ObjectInfo {
  return { key, size: Number(st.size), lastModified: new Date(Number(st.mtimeMs)), etag: etagOf(st) };
}
