/**
 * Compression stages: zstd (the default), gzip (the seed's `.gz` files, readable by `gunzip`) and none.
 *
 * Everything here is a node:zlib stream: the (de)compression work runs on libuv's thread pool, off the main
 * thread, so it overlaps with hashing and with the target's I/O. Each stage holds at most its codec's working
 * memory plus one high-water mark of input and of output (see {@link STAGE_HIGH_WATER_MARK}).
 */
import { PassThrough, type Transform } from "node:stream";
import zlib from "node:zlib";

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
 * `ERR_STREAM_PUSH_AFTER_EOF` when they are on (Node 24.21). Compression runs on one thread-pool thread while
 * hashing runs on the main thread, so one artifact still uses two cores.
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
}

/**
 * Returns a fresh compressing stream. zstd frames carry zstd's content checksum (as the `zstd` command does
 * by default), so `zstd -t` can check a downloaded file without stackvault.
 */
export function createCompressor(compression: Compression, options: CompressOptions = {}): Transform {
  switch (compression) {
    case "zstd":
      return zlib.createZstdCompress({
        chunkSize: STAGE_HIGH_WATER_MARK,
        params: {
          [zlib.constants.ZSTD_c_compressionLevel]: options.level ?? DEFAULT_ZSTD_LEVEL,
          [zlib.constants.ZSTD_c_checksumFlag]: 1,
        },
      });
    case "gzip":
      return zlib.createGzip({ chunkSize: STAGE_HIGH_WATER_MARK, level: options.level ?? DEFAULT_GZIP_LEVEL });
    case "none":
      return new PassThrough({ highWaterMark: STAGE_HIGH_WATER_MARK });
  }
}

/**
 * Returns a fresh decompressing stream. Corrupted or truncated input makes it fail with a zlib error; the
 * restore side turns that into an `IntegrityError` naming the artifact.
 */
export function createDecompressor(compression: Compression): Transform {
  switch (compression) {
    case "zstd":
      return zlib.createZstdDecompress({ chunkSize: STAGE_HIGH_WATER_MARK });
    case "gzip":
      return zlib.createGunzip({ chunkSize: STAGE_HIGH_WATER_MARK });
    case "none":
      return new PassThrough({ highWaterMark: STAGE_HIGH_WATER_MARK });
  }
}

/** True when `value` names a supported compression. */
export function isCompression(value: unknown): value is Compression {
  return typeof value === "string" && (COMPRESSIONS as readonly string[]).includes(value);
}
