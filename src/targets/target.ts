/**
 * The storage target contract: where backups live (S3, a local folder, memory for unit tests).
 *
 * Keys are relative to the target's root (an S3 prefix or a folder) and are spelled only by `layout.ts`; every
 * implementation refuses keys that could leave its root (`object-key.ts`). A target knows nothing about what
 * it stores. Every implementation passes `test/targets/contract.ts`. Open one with `registry.ts`'s
 * `openTarget("s3://bucket/prefix" | "file:///dir" | "memory://")`; `wrappers/dry-run.ts` makes any of them
 * read-only for `--dry-run`.
 */
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { IntegrityError, PreconditionFailedError, TargetError, throwIfAborted } from "../core/errors.ts";

/** What a target knows about one stored object. */
export interface ObjectInfo {
  /** Key relative to the target root. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** Last modification time. */
  lastModified: Date;
  /**
   * Opaque version tag of the current content (S3 ETag, a content hash for other targets). Changes whenever
   * the content changes; pass it to `put({ ifMatch })` for an "only if unchanged" write.
   */
  etag: string;
}

export interface PutOptions {
  signal?: AbortSignal;
  /** Write only if no object exists at the key; otherwise reject with `PreconditionFailedError`. */
  ifAbsent?: boolean;
  /** Write only if the current object's etag equals this; otherwise reject with `PreconditionFailedError`. */
  ifMatch?: string;
  /** MIME type recorded where the target supports it. */
  contentType?: string;
  /** Called with the cumulative number of bytes accepted so far (not necessarily durable yet). */
  onProgress?: (bytes: number) => void;
}

export interface PutResult {
  /** The new object's etag. */
  etag: string;
  /** Bytes stored. */
  size: number;
}

export interface GetOptions {
  signal?: AbortSignal;
  /**
   * Byte range, inclusive of both ends as in HTTP; `end` omitted or past the end means to the end of the
   * object. A `start` at or past the end rejects with `TargetError`.
   */
  range?: { start: number; end?: number };
}

export interface ListOptions {
  signal?: AbortSignal;
  /** Continuation token from the previous page's `next` (opaque; valid for the same prefix only). */
  token?: string;
  /** Maximum objects per page (the target may return fewer; S3 returns at most 1000). Default 1000. */
  pageSize?: number;
}

export interface ListPage {
  /** Objects of this page, in ascending key order. */
  objects: ObjectInfo[];
  /** Token for the next page; absent on the last page. */
  next?: string;
}

export interface Target {
  /** Implementation name: `s3`, `local`, `memory`. */
  readonly kind: string;
  /** Where it points, for messages (`s3://bucket/prefix`, `file:///dir`); never contains credentials. */
  readonly location: string;

  /**
   * Stores `body` at `key`, streaming: the size need not be known in advance and memory stays bounded (each
   * implementation documents its bound). The object appears atomically: readers see the old object or the
   * complete new one, never a part. On failure or abort nothing of the new object remains (no partial file,
   * no dangling multipart upload) and the previous object, if any, is untouched.
   * An abort that arrives after the object was committed has no effect (the put resolves).
   * @throws PreconditionFailedError when `ifAbsent`/`ifMatch` does not hold.
   * @throws the body's own error, unchanged, when the `body` stream fails.
   * @throws TargetError when the storage fails (the message names the target and what to do);
   * CancelledError when `signal` aborts; TargetError for a key that breaks the rules of `object-key.ts`.
   */
  put(key: string, body: Readable | Uint8Array | string, options?: PutOptions): Promise<PutResult>;

  /**
   * Opens the object (or a byte range of it) as a stream. Memory is bounded by the stream's high-water mark.
   * When `signal` aborts while the stream is read, the stream fails with `CancelledError`.
   * @throws NotFoundError when no object exists at `key`.
   */
  get(key: string, options?: GetOptions): Promise<Readable>;

  /** Returns the object's info, or `undefined` when it does not exist. */
  head(key: string, options?: { signal?: AbortSignal }): Promise<ObjectInfo | undefined>;

  /**
   * Lists objects whose keys start with `prefix`, one page at a time, in ascending key order. Objects
   * written while paging may or may not appear.
   */
  list(prefix: string, options?: ListOptions): Promise<ListPage>;

  /** Deletes the object; deleting a missing key succeeds. */
  delete(key: string, options?: { signal?: AbortSignal }): Promise<void>;

  /** Releases connections. The target is unusable afterwards. */
  close(): Promise<void>;
}

/** Iterates every object under `prefix`, page after page. */
export async function* listAll(
  target: Target,
  prefix: string,
  options: { signal?: AbortSignal; pageSize?: number } = {},
): AsyncGenerator<ObjectInfo> {
  let token: string | undefined;
  do {
    const page = await target.list(prefix, { ...options, ...(token === undefined ? {} : { token }) });
    yield* page.objects;
    token = page.next;
  } while (token !== undefined);
}

/** Options of {@link readWhole}. */
export interface ReadWholeOptions extends GetOptions {
  /** Reads of the body, the first included, when it is cut off part-way. @default 3 */
  attempts?: number;
}

/**
 * Reads an object's body from start to end with `consume`, which gets a fresh stream on each read and builds
 * its result from nothing. A body cut off part-way (a reset or truncated response: the stream fails with a
 * `TargetError`) is read again from the start, after a short pause, up to `attempts` reads; the request itself
 * is retried by the target (the S3 SDK's strategy), so only the body is retried here.
 * @throws NotFoundError when no object exists at `key`; the last `TargetError` when every read was cut;
 * CancelledError when `signal` aborts; whatever else `consume` throws, at once.
 */
export async function readWhole<T>(target: Target, key: string, options: ReadWholeOptions, consume: (body: Readable) => Promise<T>): Promise<T> {
  const { attempts = 3, ...get } = options;
  for (let attempt = 1; ; attempt++) {
    const stream = await target.get(key, get);
    try {
      return await consume(stream);
    } catch (err) {
      stream.destroy();
      const cut = err instanceof TargetError && !(err instanceof PreconditionFailedError);
      if (!cut || attempt >= attempts || get.signal?.aborted) throw err;
    }
    await sleep(100 * 2 ** attempt, undefined, get.signal ? { signal: get.signal } : {}).catch(() => undefined);
    throwIfAborted(get.signal);
  }
}

/** Options of {@link getBytes}. */
export interface GetBytesOptions extends ReadWholeOptions {
  /** The largest body accepted; a bigger one rejects with `tooLarge()`'s error. @default no limit */
  maxBytes?: number;
  /** The error for a body larger than `maxBytes`. @default an IntegrityError naming the key */
  tooLarge?: () => Error;
}

/**
 * Reads a whole (small) object into memory. Use only for manifests, pointers and locks: memory holds the
 * whole object (at most `maxBytes`). A body cut off part-way is read again ({@link readWhole}).
 * @throws NotFoundError when no object exists at `key`; the last `TargetError` when every read was cut;
 * CancelledError when `signal` aborts.
 */
export async function getBytes(target: Target, key: string, options: GetBytesOptions = {}): Promise<Buffer> {
  const { maxBytes, tooLarge, ...read } = options;
  return readWhole(target, key, read, async (body) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (maxBytes !== undefined && size > maxBytes) throw tooLarge?.() ?? new IntegrityError(`${key} on ${target.location} is larger than ${maxBytes} bytes.`);
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  });
}
