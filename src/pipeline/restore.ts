/**
 * The restore side of the pipeline: stored bytes → count+sha256 (stored) → decompress → count+sha256 (raw),
 * checked against what the manifest recorded.
 */
import { addAbortSignal, pipeline, Readable } from "node:stream";
import { IntegrityError, isStackvaultError } from "../core/errors.ts";
import { createDecompressionStages, STAGE_HIGH_WATER_MARK, type Compression } from "./compression.ts";
import { Meter } from "./hash.ts";
import { Coalesce } from "./coalesce.ts";
import { normalizeError, isAbortError } from "./errors.ts";

/** What the manifest recorded about the artifact being read. */
export interface VerifiedStreamOptions {
  /** The artifact's name in messages, typically its backup-relative key (`neo4j/neo4j-backup.cypher.zst`). */
  name: string;
  compression: Compression;
  /** Recorded size of the stored object. */
  storedBytes: number;
  /** Recorded sha256 (hex) of the stored object. */
  storedSha256: string;
  /** Recorded size before compression; when given, also checked (and bounds decompression early). */
  rawBytes?: number;
  /** Recorded sha256 (hex) before compression; when given, also checked. */
  rawSha256?: string;
  /** Cancels the read: the stream fails with `CancelledError` and the stored stream is destroyed. */
  signal?: AbortSignal;
  /** Stored bytes read so far, at most once per `progressIntervalMs` and once at the end. Must be cheap. */
  onProgress?: (storedBytes: number) => void;
  /** @default 250 */
  progressIntervalMs?: number;
}

/**
 * Returns the decompressed content of `stored`, checking it on the way. The stream fails with an
 * `IntegrityError` naming the artifact when the stored bytes are longer or shorter than recorded (truncated
 * or replaced object), hash differently, do not decompress, or decompress to other bytes than recorded. Size
 * overruns fail at once; hash mismatches can only be seen at the end, so a consumer must not commit what it
 * read before the stream ended cleanly (or must have verified the object beforehand).
 *
 * Memory: a few 64 KiB stage buffers plus the decoder's window (2 MiB for stackvault's default zstd level, more
 * only for artifacts written at high levels, at most zstd's 128 MiB cap; 32 KiB for gzip).
 * Destroying the returned stream early destroys `stored` too. Errors of `stored` itself (network, target)
 * are passed on unchanged.
 */
export function openVerifiedStream(stored: Readable, options: VerifiedStreamOptions): Readable {
  const { name } = options;
  const interval = options.progressIntervalMs ?? 250;
  let lastReport = 0;
  const storedMeter = new Meter({
    onChunk: (bytes) => {
      if (bytes > options.storedBytes) throw sizeError(name, "stored object", `more than ${options.storedBytes}`, options.storedBytes);
    },
    onBytes: (bytes) => {
      const now = Date.now();
      if (options.onProgress === undefined || now - lastReport < interval) return;
      lastReport = now;
      options.onProgress(bytes);
    },
    onEnd: ({ bytes, sha256 }) => {
      options.onProgress?.(bytes);
      if (bytes !== options.storedBytes) throw sizeError(name, "stored object", String(bytes), options.storedBytes);
      if (sha256 !== options.storedSha256) throw hashError(name, "stored object", sha256, options.storedSha256);
    },
  });
  const decompressors = createDecompressionStages(options.compression);
  const rawMeter = new Meter({
    onChunk: (bytes) => {
      if (options.rawBytes !== undefined && bytes > options.rawBytes) {
        throw sizeError(name, "decompressed content", `more than ${options.rawBytes}`, options.rawBytes);
      }
    },
    onEnd: ({ bytes, sha256 }) => {
      if (options.rawBytes !== undefined && bytes !== options.rawBytes) {
        throw sizeError(name, "decompressed content", String(bytes), options.rawBytes);
      }
      if (options.rawSha256 !== undefined && sha256 !== options.rawSha256) {
        throw hashError(name, "decompressed content", sha256, options.rawSha256);
      }
    },
  });

  let decodeError: unknown;
  for (const stage of decompressors) {
    stage.once("error", (err) => {
      decodeError ??= err;
    });
  }
  if (options.signal !== undefined) addAbortSignal(options.signal, stored);
  // Failures reach the consumer through rawMeter, which the pipeline destroys with the first error.
  pipeline([stored, new Coalesce(), storedMeter, ...decompressors, rawMeter], () => {});

  const mapError = (err: unknown): unknown => {
    if (isStackvaultError(err)) return err;
    if (err === decodeError && !isAbortError(err)) {
      return new IntegrityError(
        `Artifact "${name}" does not decompress as ${options.compression} (${(err as Error).message}): the stored object is corrupted.`,
        { cause: err, hint: HINT },
      );
    }
    return normalizeError(err, options.signal);
  };
  async function* verified(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of rawMeter) yield chunk as Buffer;
    } catch (err) {
      throw mapError(err);
    }
  }
  return Readable.from(verified(), { objectMode: false, highWaterMark: STAGE_HIGH_WATER_MARK });
}

// --- internal ---

const HINT = "Do not restore from this backup: run `stackvault verify` and choose another one with --backup-id.";

function sizeError(name: string, what: string, actual: string, expected: number): IntegrityError {
  const why = actual.startsWith("more") ? "it was replaced or appended to" : "it is truncated or was replaced";
  return new IntegrityError(
    `Artifact "${name}": the ${what} has ${actual} bytes but the manifest records ${expected}: ${why}.`,
    { hint: HINT },
  );
}

function hashError(name: string, what: string, actual: string, expected: string): IntegrityError {
  return new IntegrityError(
    `Artifact "${name}": the ${what} has sha256 ${actual} but the manifest records ${expected}: it is corrupted.`,
    { hint: HINT },
  );
}
