/**
 * A dry-run view of a target (`--dry-run`): reads go to the real target; writes and deletes are reported and
 * not performed. A put still reads its body to the end (so that producers upstream finish normally and sizes
 * are known) and checks its condition against the real target, so a dry run fails where the real run would.
 */
import { PreconditionFailedError, throwIfAborted } from "../../core/errors.ts";
import type { Readable } from "node:stream";
import type { GetOptions, ListOptions, ListPage, ObjectInfo, PutOptions, PutResult, Target } from "../target.ts";
import { bodyStream, cancelled, onAbort } from "../body.ts";

/** A write or delete that a dry run skipped. */
export type SkippedOperation = { op: "put"; key: string; size: number } | { op: "delete"; key: string };

/**
 * Wraps `inner` so that nothing is written. `onSkip` hears every skipped operation.
 * Memory: one chunk of a put's body at a time.
 */
export function dryRunTarget(inner: Target, onSkip: (operation: SkippedOperation) => void = () => {}): Target {
  return {
    kind: inner.kind,
    location: inner.location,
    async put(key: string, body: Readable | Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
      throwIfAborted(options.signal);
      const current = await inner.head(key, options.signal === undefined ? {} : { signal: options.signal });
      if (options.ifAbsent && current !== undefined) throw new PreconditionFailedError(`${key} already exists on ${inner.location}.`);
      if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) {
        throw new PreconditionFailedError(`${key} on ${inner.location} changed or disappeared (etag mismatch).`);
      }
      const source = bodyStream(body);
      const off = onAbort(options.signal, () => source.destroy(cancelled(options.signal, `reading the body of ${key}`)));
      let size = 0;
      try {
        for await (const chunk of source) {
          size += (chunk as Uint8Array).byteLength ?? Buffer.byteLength(String(chunk));
          options.onProgress?.(size);
        }
      } finally {
        off();
      }
      onSkip({ op: "put", key, size });
      return { etag: "dry-run", size };
    },
    get: (key: string, options?: GetOptions): Promise<Readable> => inner.get(key, options),
    head: (key: string, options?: { signal?: AbortSignal }): Promise<ObjectInfo | undefined> => inner.head(key, options),
    list: (prefix: string, options?: ListOptions): Promise<ListPage> => inner.list(prefix, options),
    async delete(key: string, options: { signal?: AbortSignal } = {}): Promise<void> {
      throwIfAborted(options.signal);
      onSkip({ op: "delete", key });
    },
    close: () => inner.close(),
  };
}
