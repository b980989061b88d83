/**
 * The backup side of the pipeline: source → batch small chunks → count+sha256 (raw) → compress → count+sha256 (stored) → store,
 * in one pass, with back-pressure from the store all the way to the source.
 */
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CancelledError, TargetError } from "../core/errors.ts";
import { createCompressor, type Compression } from "./compression.ts";
import { Meter } from "./hash.ts";
import { Coalesce } from "./coalesce.ts";
import { normalizeError } from "./errors.ts";

/** Bytes moved so far by one pipeline run. */
export interface PipelineProgress {
  /** Bytes read from the source (before compression). */
  rawBytes: number;
  /** Bytes handed to the store (after compression). */
  storedBytes: number;
  /** True on the last call, made once after a successful run with the final totals. */
  done: boolean;
}

/**
 * Receives the compressed stream and stores it. It must read `body` to its end before resolving, stop and
 * reject when `signal` aborts, and leave nothing behind when it rejects (what `Target.put` promises).
 */
export type StoreFunction<T> = (body: Readable, options: { signal: AbortSignal }) => Promise<T>;

export interface BackupPipelineOptions<T> {
  /** The engine's byte stream. It is consumed and destroyed by the run. */
  source: Readable;
  /** How the stored bytes are compressed. */
  compression: Compression;
  /** Codec level; defaults to the compression's default (zstd 3, gzip 6). */
  level?: number;
  /** Raw bytes per independently compressed block (zstd, gzip). @default DEFAULT_BLOCK_BYTES (1 MiB) */
  blockBytes?: number;
  /** Blocks compressed at the same time (zstd, gzip). @default defaultParallelism() (2 on one core, else 3) */
  parallelism?: number;
  /** Where the compressed bytes go, typically `(body, o) => target.put(key, body, o)`. */
  store: StoreFunction<T>;
  /** Cancels the run: every stage is destroyed and the run rejects with `CancelledError`. */
  signal?: AbortSignal;
  /** Progress, at most once per `progressIntervalMs`, plus a final call with `done: true`. */
  onProgress?: (progress: PipelineProgress) => void;
  /** @default 250 */
  progressIntervalMs?: number;
}

/** What a successful run measured; becomes the artifact's record in the manifest. */
export interface PipelineResult<T> {
  rawBytes: number;
  storedBytes: number;
  /** sha256 (lowercase hex) of the source's bytes. */
  rawSha256: string;
  /** sha256 (lowercase hex) of the bytes handed to the store. */
  storedSha256: string;
  /** What `store` resolved with (for example the target's `PutResult`). */
  stored: T;
}

/**
 * Streams `source` through compression and hashing into `store`, and resolves with sizes and hashes once the
 * store resolved.
 *
 * Compression cuts the raw stream into blocks compressed in parallel on the thread pool (see
 * `block-compressor.ts`) while the main thread hashes, so one artifact uses every core up to `parallelism`.
 *
 * Memory: bounded whatever the artifact's size — about a dozen chunks of {@link STAGE_HIGH_WATER_MARK} (64 KiB)
 * held in the stages' buffers, plus the block compressor's blocks (about `(parallelism + 1) × blockBytes × 2`
 * and a few MiB of codec context per block in flight: about 15 MiB with the defaults), plus what `store`
 * buffers (the S3 target documents its part buffers). A slow store slows the source down instead of filling
 * memory; the source runs at most about `(parallelism + 1) × blockBytes` ahead of the store.
 *
 * Errors: the first failure of any stage (source, codec, store) or the signal rejects the run; every other
 * stage is then destroyed and `store`'s signal aborts, and the run settles only once `store` has settled, so
 * nothing keeps running after it rejects. Cancellation rejects with `CancelledError`; other errors are passed
 * on as raised (an engine's `EngineError`, a target's `TargetError`).
 */
export async function runBackupPipeline<T>(options: BackupPipelineOptions<T>): Promise<PipelineResult<T>> {
  const { source, signal } = options;
  if (signal?.aborted) {
    source.destroy();
    throw new CancelledError("Cancelled before the artifact was stored.", { cause: signal.reason });
  }
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });

  let first: unknown;
  let failed = false;
  const fail = (err: unknown): void => {
    if (failed) return;
    failed = true;
    first = err;
    controller.abort(err);
  };

  const interval = options.progressIntervalMs ?? 250;
  let lastReport = 0;
  const report = (done: boolean): void => {
    options.onProgress?.({ rawBytes: raw.bytes, storedBytes: stored.bytes, done });
  };
  const tick = (): void => {
    if (options.onProgress === undefined) return;
    const now = Date.now();
    if (now - lastReport < interval) return;
    lastReport = now;
    report(false);
  };

  const raw = new Meter({ onBytes: tick });
  // Without compression the stored bytes are the raw bytes: one meter measures both (half the hashing).
  const stored = options.compression === "none" ? raw : new Meter({ onBytes: tick });
  const stages = stored === raw
    ? [new Coalesce(), raw]
    : [new Coalesce(), raw, createCompressor(options.compression, { level: options.level, blockBytes: options.blockBytes, parallelism: options.parallelism }), stored];

  try {
    const flowing = pipeline([source, ...stages], { signal: controller.signal });
    const storing = Promise.resolve().then(() => options.store(stored, { signal: controller.signal }));
    flowing.catch(fail);
    storing.then((value) => {
      if (!stored.readableEnded) {
        fail(new TargetError("The storage returned before it had read the whole artifact; nothing was stored.", {
          hint: "This is a bug in the store function: it must read its body to the end.",
        }));
      }
      return value;
    }, fail);
    const [, storeOutcome] = await Promise.allSettled([flowing, storing]);
    if (failed) throw normalizeError(first, signal);
    if (storeOutcome.status === "rejected") throw normalizeError(storeOutcome.reason, signal);
    report(true);
    return {
      rawBytes: raw.bytes,
      storedBytes: stored.bytes,
      rawSha256: raw.sha256,
      storedSha256: stored.sha256,
      stored: storeOutcome.value,
    };
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (!source.destroyed && failed) source.destroy();
  }
}

