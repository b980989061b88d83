/**
 * The measuring stage: a pass-through that counts bytes and computes their sha256 as they flow, without
 * copying or holding them. Hashing runs on the main thread at well over 1 GiB/s with SHA extensions, so it is
 * never the slow stage. Every artifact byte passes a meter, which also paces the collection of the stream's dead
 * buffers (`core/streamed-garbage.ts`).
 */
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { streamedBytes } from "../core/streamed-garbage.ts";
import { STAGE_HIGH_WATER_MARK } from "./compression.ts";

export interface MeterOptions {
  /** Called with the cumulative byte count after each chunk. Must be cheap: it runs on the data path. */
  onBytes?: (bytes: number) => void;
  /**
   * Called once, after the last byte, with the totals; an error it throws fails the stream at its end (the
   * restore side uses this to refuse bytes that do not match the manifest).
   */
  onEnd?: (totals: { bytes: number; sha256: string }) => void;
  /** Called before each chunk is passed on; an error it throws fails the stream at once. */
  onChunk?: (bytesSoFar: number) => void;
}

/** A pass-through stream that counts and hashes what flows through it. */
export class Meter extends Transform {
  private readonly hash: Hash = createHash("sha256");
  private readonly options: MeterOptions;
  private count = 0;
  private digestHex: string | undefined;

  constructor(options: MeterOptions = {}) {
    super({ highWaterMark: STAGE_HIGH_WATER_MARK });
    this.options = options;
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.count;
  }

  /**
   * The sha256 (lowercase hex) of every byte seen.
   * @throws Error when called before the stream ended: a partial digest would be a wrong answer.
   */
  get sha256(): string {
    if (this.digestHex === undefined) throw new Error("Meter.sha256 read before the stream ended.");
    return this.digestHex;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.count += chunk.length;
      streamedBytes(chunk.length);
      this.options.onChunk?.(this.count);
      this.hash.update(chunk);
      this.options.onBytes?.(this.count);
      callback(null, chunk);
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.digestHex = this.hash.digest("hex");
      this.options.onEnd?.({ bytes: this.count, sha256: this.digestHex });
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }
}
