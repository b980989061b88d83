/**
 * Compression stages: zstd (the default), gzip (the seed's `.gz` files, readable by `gunzip`) and none.
 *
 * Compression cuts the stream into independent blocks compressed in parallel (see `block-compressor.ts`);
 * decompression is one node:zlib stream. Either way the codec work runs on libuv's thread pool, off the main
 * thread, so it overlaps with hashing and with the target's I/O.
 */
import { PassThrough, type Transform } from "node:stream";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { MALLOC_ENV } from "../core/node-flags.ts";
import { BlockCompressor, DEFAULT_BLOCK_BYTES, type BlockCodec } from "./block-compressor.ts";
import { ZstdFrameSplitter } from "./zstd-frames.ts";

/** Compression applied to an artifact as stored (same values as the engine contract's `Compression`). */
export type Compression = "zstd" | "gzip" | "none";

/** Every supported compression, for flag and schema validation. */
export const COMPRESSIONS: readonly Compression[] = ["zstd", "gzip", "none"];

/**
 * Default zstd level: 3, zstd's own default. Measured on `bench/pipeline`'s dump-like Cypher (64 MiB, zstd
 * 1.5.4 CLI on the 2-core bench machine): level 1 is about 20% faster for a 4% larger file, level 3 is six
 * times faster than gzip -6 for the same size, level 6 is five times slower than level 3 for a 4% smaller
 * file. Level 3 is where more CPU stops paying.
 *
 * zstd's own worker threads (`ZSTD_c_nbWorkers`) are not used: node's zstd stream fails with
 * `ERR_STREAM_PUSH_AFTER_EOF` when they are on (Node 24.21). Blocks compressed in parallel as separate frames
 * use the cores instead.
 */
export const DEFAULT_ZSTD_LEVEL = 3;

/**
 * Default gzip level: 6, the `gzip` command's default, so that `.gz` files match what the seed's scripts
 * produced. gzip is the compatibility choice, not the fast one; use zstd when speed matters.
 */
export const DEFAULT_GZIP_LEVEL = 6;

/**
 * Buffer size of each stage of the pipeline, in bytes (the readable and writable high-water marks, and the
 * codec's output chunk size). The pipeline's memory bound is a small multiple of it (see `backup.ts`).
 * @default 65536
 */
export const STAGE_HIGH_WATER_MARK = 64 * 1024;

export interface CompressOptions {
  /** Codec level; defaults to {@link DEFAULT_ZSTD_LEVEL} or {@link DEFAULT_GZIP_LEVEL}. Ignored for `none`. */
  level?: number;
  /** Raw bytes per independently compressed block. @default DEFAULT_BLOCK_BYTES (1 MiB) */
  blockBytes?: number;
  /** Blocks compressed at the same time. @default defaultParallelism() (2 on one core, else 3) */
  parallelism?: number;
}

/**
 * Returns a fresh compressing stream: a {@link BlockCompressor} for zstd and gzip (a series of independent
 * zstd frames or gzip members, one per block), a pass-through for `none`. zstd frames carry zstd's content
 * checksum, so `zstd -t` can check a downloaded file without stackvault.
 */
export function createCompressor(compression: Compression, options: CompressOptions = {}): Transform {
  const blocks = { blockBytes: options.blockBytes, parallelism: options.parallelism };
  switch (compression) {
    case "zstd":
      return new BlockCompressor({ ...blocks, codec: zstdBlockCodec(options.level ?? DEFAULT_ZSTD_LEVEL, options.blockBytes ?? DEFAULT_BLOCK_BYTES) });
    case "gzip":
      return new BlockCompressor({ ...blocks, codec: gzipBlockCodec(options.level ?? DEFAULT_GZIP_LEVEL) });
    case "none":
      return new PassThrough({ highWaterMark: STAGE_HIGH_WATER_MARK });
  }
}

/**
 * Returns fresh stages that decompress when piped in order. They read every frame (zstd) or member (gzip) of
 * a concatenation, as the block compressor writes them. Corrupted or truncated input makes the last stage
 * fail with a zlib error, or for zstd the first one with a frame-structure error; the restore side turns
 * either into an `IntegrityError` naming the artifact.
 */
export function createDecompressionStages(compression: Compression): Transform[] {
  switch (compression) {
    case "zstd":
      // node's zstd stream stops at the first frame end inside one write and drops the rest (nodejs/node#64741):
      // the splitter hands it each frame's end at the end of a write.
      return [new ZstdFrameSplitter(), zlib.createZstdDecompress({ chunkSize: STAGE_HIGH_WATER_MARK })];
    case "gzip":
      return [zlib.createGunzip({ chunkSize: STAGE_HIGH_WATER_MARK })];
    case "none":
      return [new PassThrough({ highWaterMark: STAGE_HIGH_WATER_MARK })];
  }
}

/** True when `value` names a supported compression. */
export function isCompression(value: unknown): value is Compression {
  return typeof value === "string" && (COMPRESSIONS as readonly string[]).includes(value);
}

// --- internal ---

const gzip = promisify(zlib.gzip);

/**
 * Output buffer size of the block codecs: 120 KiB, 8 KiB under the mmap threshold of every stackvault process
 * (`MALLOC_ENV` in `core/node-flags.ts`, 128 KiB), and derived from it so that the two stay apart. Under the
 * threshold, malloc reuses freed heap memory for the next buffer instead of mapping fresh pages that the kernel
 * must zero; a 1 MiB block of text still comes back in about three thread-pool round trips (zlib's default of
 * 16 KiB costs dozens, each waiting for the busy main thread). `bench/pipeline/child.ts` on 1,280 MiB into the
 * local target, five alternating runs each: 283-299 MiB/s and 6.3-6.7 CPU s, against 266-280 MiB/s and
 * 7.1-7.5 CPU s with 256 KiB buffers.
 */
const BLOCK_OUTPUT_CHUNK = Number(MALLOC_ENV.MALLOC_MMAP_THRESHOLD_) - 8 * 1024;

/**
 * zstd frames from compression contexts kept from one block to the next, one per block in flight. A fresh
 * context per block (`zlib.zstdCompress`) allocated its working memory for every block, and with the fixed mmap
 * threshold of every stackvault process (`core/node-flags.ts`) that memory was fresh pages from the kernel each
 * time. `bench/pipeline/child.ts` on 128 MiB of dump-like Cypher into the local target, five alternating runs
 * each: 157-172 MiB/s and 0.93-1.07 CPU s with a context per block, 178-189 MiB/s and 0.81-0.88 CPU s with kept
 * contexts. Each block ends its frame (`ZSTD_e_end`), so the frames are as independent as one-shot ones:
 * checksummed, but without the content size, which a stream does not know in advance (optional in a frame;
 * `zstd -l` shows it unknown).
 */
function zstdBlockCodec(level: number, blockBytes: number): BlockCodec {
  const params = {
    [zlib.constants.ZSTD_c_compressionLevel]: level,
    [zlib.constants.ZSTD_c_checksumFlag]: 1,
    // The window a one-shot call would choose for a block of this size: no larger than the block.
    [zlib.constants.ZSTD_c_windowLog]: Math.min(27, Math.max(10, Math.ceil(Math.log2(blockBytes)))),
  };
  const idle: ZstdContext[] = [];
  const open = new Set<ZstdContext>();
  const codec: BlockCodec = async (block) => {
    let context = idle.pop();
    if (context === undefined) open.add((context = new ZstdContext(params)));
    try {
      const frame = await context.frame(block);
      idle.push(context);
      return frame;
    } catch (err) {
      context.close();
      open.delete(context);
      throw err;
    }
  };
  codec.close = () => {
    for (const context of open) context.close();
    open.clear();
    idle.length = 0;
  };
  return codec;
}

/** One zstd compression stream that writes a whole frame per {@link ZstdContext.frame} call. */
class ZstdContext {
  readonly #stream: zlib.ZstdCompress;
  #parts: Buffer[] = [];
  #failed: ((err: Error) => void) | undefined;

  constructor(params: Record<number, number>) {
    this.#stream = zlib.createZstdCompress({ params, chunkSize: BLOCK_OUTPUT_CHUNK });
    this.#stream.on("data", (part: Buffer) => this.#parts.push(part));
    this.#stream.on("error", (err: Error) => this.#failed?.(err));
  }

  /** Compresses `block` into one frame; calls must not overlap. */
  frame(block: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.#failed = reject;
      this.#stream.write(block);
      // The flush's callback comes after the output of everything written before it was emitted.
      this.#stream.flush(zlib.constants.ZSTD_e_end, () => {
        this.#failed = undefined;
        const parts = this.#parts;
        this.#parts = [];
        resolve(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts));
      });
    });
  }

  close(): void {
    this.#stream.close();
  }
}

function gzipBlockCodec(level: number): BlockCodec {
  return (block) => gzip(block, { level, chunkSize: BLOCK_OUTPUT_CHUNK });
}
