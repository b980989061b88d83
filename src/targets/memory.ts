/**
 * An in-memory target for unit tests (`memory://` or `memory://name`). It keeps whole objects in memory, so it
 * is not for real data; otherwise it keeps every promise of the contract, including atomic conditional puts
 * (the check and the swap happen in one synchronous step after the body has been read).
 */
import { Readable } from "node:stream";
import { createHash } from "node:crypto";
import { NotFoundError, PreconditionFailedError, TargetError, throwIfAborted } from "../core/errors.ts";
import type { GetOptions, ListOptions, ListPage, ObjectInfo, PutOptions, PutResult, Target } from "./target.ts";
import { assertRange, bodyStream, cancelled, cancelStreamOnAbort, onAbort } from "./body.ts";
import { assertListPrefix, assertObjectKey } from "./object-key.ts";

/** The objects of a memory target; share one between targets to simulate two processes. */
export type MemoryStore = Map<string, { data: Buffer; info: ObjectInfo }>;

export interface MemoryTargetOptions {
  /** Name shown in `location` (`memory://name`). @default "" */
  name?: string;
  /** Objects to use; pass the same map to two targets to make them see each other. @default a new map */
  store?: MemoryStore;
}

/** Creates a memory target. Memory: every object in full. */
export function createMemoryTarget(options: MemoryTargetOptions = {}): Target {
  return new MemoryTarget(options.store ?? new Map(), `memory://${options.name ?? ""}`);
}

// --- internal ---

let generation = 0;

class MemoryTarget implements Target {
  readonly kind = "memory";
  readonly location: string;
  readonly #store: MemoryStore;
  #closed = false;

  constructor(store: MemoryStore, location: string) {
    this.#store = store;
    this.location = location;
  }

  async put(key: string, body: Readable | Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
    this.#check(key);
    const { signal } = options;
    throwIfAborted(signal);
    const source = bodyStream(body);
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    const off = onAbort(signal, () => {
      aborted = true;
      source.destroy(cancelled(signal, `writing ${key} to ${this.location}`));
    });
    try {
      for await (const chunk of source) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        chunks.push(buf);
        size += buf.length;
        options.onProgress?.(size);
      }
    } catch (err) {
      if (aborted) throw cancelled(signal, `writing ${key} to ${this.location}`);
      throw err;
    } finally {
      off();
      source.destroy();
    }
    if (aborted) throw cancelled(signal, `writing ${key} to ${this.location}`);
    const current = this.#store.get(key);
    if (options.ifAbsent && current !== undefined) {
      throw new PreconditionFailedError(`${key} already exists on ${this.location}.`);
    }
    if (options.ifMatch !== undefined && current?.info.etag !== options.ifMatch) {
      throw new PreconditionFailedError(`${key} on ${this.location} changed or disappeared (etag mismatch).`);
    }
    const data = Buffer.concat(chunks);
    const etag = `${createHash("sha256").update(data).digest("hex").slice(0, 32)}-${++generation}`;
    this.#store.set(key, { data, info: { key, size: data.length, lastModified: new Date(), etag } });
    return { etag, size: data.length };
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    this.#check(key);
    assertRange(options.range, key);
    throwIfAborted(options.signal);
    const entry = this.#store.get(key);
    if (entry === undefined) throw new NotFoundError(`No object ${key} on ${this.location}.`);
    let data = entry.data;
    if (options.range !== undefined) {
      const { start, end } = options.range;
      if (start >= data.length) {
        throw new TargetError(`Range start ${start} is beyond the end of ${key} (${data.length} bytes).`);
      }
      data = data.subarray(start, end === undefined ? undefined : end + 1);
    }
    return cancelStreamOnAbort(Readable.from([data]), options.signal, `reading ${key}`);
  }

  async head(key: string, options: { signal?: AbortSignal } = {}): Promise<ObjectInfo | undefined> {
    this.#check(key);
    throwIfAborted(options.signal);
    const entry = this.#store.get(key);
    return entry === undefined ? undefined : { ...entry.info };
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    this.#check(undefined);
    assertListPrefix(prefix, this.location);
    throwIfAborted(options.signal);
    const pageSize = Math.max(1, options.pageSize ?? 1000);
    const after = options.token;
    const keys = [...this.#store.keys()]
      .filter((k) => k.startsWith(prefix) && (after === undefined || byteOrder(k, after) > 0))
      .sort(byteOrder);
    const objects = keys.slice(0, pageSize).map((k) => ({ ...this.#store.get(k)!.info }));
    const last = objects.at(-1);
    return keys.length > pageSize && last !== undefined ? { objects, next: last.key } : { objects };
  }

  async delete(key: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#check(key);
    throwIfAborted(options.signal);
    this.#store.delete(key);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #check(key: string | undefined): void {
    if (this.#closed) throw new TargetError(`${this.location} is closed.`);
    if (key !== undefined) assertObjectKey(key, this.location);
  }
}

/** S3 orders keys by their UTF-8 bytes; so do the other targets. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
