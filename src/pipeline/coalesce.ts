/**
 * Batches small chunks into blocks. Engines often produce small chunks (a Cypher statement, a RESP frame);
 * handed one by one to a zlib stream, each costs a round trip to the thread pool, which made zstd run at a
 * tenth of its speed on 170-byte chunks. Chunks at least one block long pass through without a copy.
 */
import { Transform, type TransformCallback } from "node:stream";
import { STAGE_HIGH_WATER_MARK } from "./compression.ts";

export class Coalesce extends Transform {
  readonly #block: number;
  #parts: Buffer[] = [];
  #size = 0;

  /** @param block smallest block passed on (except the last one). @default STAGE_HIGH_WATER_MARK */
  constructor(block: number = STAGE_HIGH_WATER_MARK) {
    super({ highWaterMark: block });
    this.#block = block;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#size === 0 && chunk.length >= this.#block) {
      callback(null, chunk);
      return;
    }
    this.#parts.push(chunk);
    this.#size += chunk.length;
    if (this.#size < this.#block) {
      callback();
      return;
    }
    callback(null, this.#take());
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.#size > 0 ? this.#take() : undefined);
  }

  #take(): Buffer {
    const block = Buffer.concat(this.#parts, this.#size);
    this.#parts = [];
    this.#size = 0;
    return block;
  }
}
