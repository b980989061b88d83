/**
 * Parallel compression in independent blocks: the raw stream is cut into blocks of a fixed size, each block is
 * compressed on its own (a zstd frame, a gzip member) by node:zlib on libuv's thread pool, several at a time,
 * and the compressed blocks are passed on in their original order. Concatenated
 * zstd frames are one valid zstd stream, and concatenated gzip members one valid gzip stream (RFC 8878 §3.1,
 * RFC 1952 §2.2): `zstd -d` and `gunzip` read the result as one file, as they read `pzstd` or `pigz` output.
 *
 * Why: a single zstd stream compresses on one thread, and node's zstd stream cannot use zstd's own worker
 * threads (`ERR_STREAM_PUSH_AFTER_EOF`, Node 24.21). Independent blocks use every core; on dump-like text the
 * size cost of restarting the codec every 1 MiB is about 0.1% (see {@link DEFAULT_BLOCK_BYTES}).
 */
import os from "node:os";
import { Transform, type TransformCallback } from "node:stream";

/**
 * Compresses one block into one self-contained frame (or member). Runs off the main thread. The result must be a
 * new buffer, not (a view of) `block`, which is reused. `close`, when present, frees what the codec keeps
 * between blocks; the compressor calls it once, when it ends or is destroyed.
 */
export type BlockCodec = ((block: Buffer) => Promise<Buffer>) & { close?: () => void };

/**
 * Raw bytes per block: 1 MiB. Measured on `bench/pipeline`'s dump-like Cypher at zstd level 3 (256 MiB, 2-core
 * bench machine): against 4 MiB blocks, 1 MiB blocks store 0.12% more and take about 10% less CPU (a 1 MiB
 * input lets zstd size its tables to the block, which stay in cache); 512 KiB blocks store 1% more, 256 KiB
 * blocks 2.7% more. Smaller blocks also mean less memory and read-ahead.
 * @default 1048576
 */
export const DEFAULT_BLOCK_BYTES = 1024 * 1024;

/**
 * Blocks compressed at the same time by default: one more than the machine's available parallelism, at most 3.
 * One more than the cores because the main thread also works (it hashes the raw and the stored bytes and moves
 * the blocks): with only as many blocks as cores, the compressing threads finished together and waited while it
 * caught up. `bench/pipeline/child.ts … zstd local` on 1 GiB on 2 cores, four alternating runs each: 292 MiB/s
 * (287-317) with 2 blocks, 339 (331-345) with 3, 344 (325-362) with 4; peak RSS 120, 123 and 127 MiB. At most 3
 * because libuv's thread pool has 4 threads by default and file and DNS work needs one.
 */
export function defaultParallelism(): number {
  return Math.min(3, os.availableParallelism() + 1);
}

export interface BlockCompressorOptions {
  /** Compresses one block. */
  codec: BlockCodec;
  /** @default DEFAULT_BLOCK_BYTES */
  blockBytes?: number;
  /** Blocks in flight (compressing, or compressed and waiting for an earlier one). @default defaultParallelism() */
  parallelism?: number;
}

/**
 * A transform whose output is the concatenation, in order, of `codec(block)` for each `blockBytes` of its
 * input (the last block shorter). An empty input still gives one frame of an empty block, so that the
 * output is a valid file for `zstd -d` and `gunzip`.
 *
 * Memory: at most `parallelism` blocks in flight plus the one being filled, each with its codec's working
 * memory and its output — about `(parallelism + 1) × blockBytes × 2` plus a few MiB of zstd context per
 * block in flight (about 15 MiB with the defaults on 2 cores; the compressed blocks already passed on are
 * garbage that V8 collects in batches, which adds up to a few tens of MiB to the RSS). A slow consumer stops
 * the input: no block is started while `parallelism` are in flight, and no input is taken while the output
 * buffer is full.
 *
 * Errors: the first codec error destroys the stream with it; blocks still compressing finish on the
 * thread pool and are dropped.
 */
export class BlockCompressor extends Transform {
  readonly #codec: BlockCodec;
  readonly #blockBytes: number;
  readonly #parallelism: number;
  /** Blocks in flight, in input order. */
  readonly #queue: Slot[] = [];
  #block: Buffer | undefined;
  #filled = 0;
  /** Block buffers whose compression finished, reused so that the raw blocks are allocated once, not per block. */
  readonly #spare: Buffer[] = [];
  #started = false;
  /** The codec's close was called (it is called once, at the end or on destroy). */
  #codecClosed = false;
  #slotFree: (() => void) | undefined;
  #drained: (() => void) | undefined;

  constructor(options: BlockCompressorOptions) {
    super({ highWaterMark: 64 * 1024 });
    this.#codec = options.codec;
    this.#blockBytes = options.blockBytes ?? DEFAULT_BLOCK_BYTES;
    this.#parallelism = options.parallelism ?? defaultParallelism();
    if (!(this.#blockBytes >= 1) || !(this.#parallelism >= 1)) throw new RangeError("blockBytes and parallelism must be at least 1.");
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#take(chunk).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#filled > 0 || !this.#started) {
      const block = this.#block?.subarray(0, this.#filled) ?? Buffer.alloc(0);
      this.#block = undefined;
      this.#filled = 0;
      void this.#submit(block);
    }
    const done = (): void => {
      this.#closeCodec();
      callback();
    };
    if (this.#queue.length === 0) done();
    else this.#drained = done;
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#closeCodec();
    callback(err);
  }

  #closeCodec(): void {
    if (this.#codecClosed) return;
    this.#codecClosed = true;
    this.#codec.close?.();
  }

  /** Cuts `chunk` into the current block and whole blocks, waiting for a free slot after each block started. */
  async #take(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length && !this.destroyed) {
      if (this.#filled === 0 && chunk.length - offset >= this.#blockBytes) {
        // A whole block inside the chunk: compress it where it lies, no copy.
        await this.#submit(chunk.subarray(offset, offset + this.#blockBytes));
        offset += this.#blockBytes;
        continue;
      }
      this.#block ??= this.#spare.pop() ?? Buffer.allocUnsafeSlow(this.#blockBytes);
      const copied = chunk.copy(this.#block, this.#filled, offset);
      this.#filled += copied;
      offset += copied;
      if (this.#filled === this.#blockBytes) {
        const block = this.#block;
        this.#block = undefined;
        this.#filled = 0;
        await this.#submit(block, true);
      }
    }
  }

  /**
   * Starts compressing `block`; resolves once fewer than `parallelism` blocks are in flight. An `owned` block is
   * one of this stream's buffers, reused once compressed.
   */
  #submit(block: Buffer, owned = false): Promise<void> {
    this.#started = true;
    const slot: Slot = { output: undefined };
    this.#queue.push(slot);
    this.#codec(block).then((output) => {
      slot.output = output;
      if (owned) this.#spare.push(block);
      this.#release();
    }, (err: unknown) => {
      if (!this.destroyed) this.destroy(err instanceof Error ? err : new Error(String(err)));
    });
    if (this.#queue.length < this.#parallelism) return Promise.resolve();
    return new Promise((resolve) => {
      this.#slotFree = resolve;
    });
  }

  /** Passes on every finished block at the head of the queue, in order, and wakes whoever waits for a slot. */
  #release(): void {
    if (this.destroyed) return;
    while (this.#queue[0]?.output !== undefined) {
      const slot = this.#queue.shift() as Slot;
      if ((slot.output as Buffer).length > 0) this.push(slot.output);
      slot.output = undefined;
    }
    if (this.#queue.length < this.#parallelism && this.#slotFree !== undefined) {
      const wake = this.#slotFree;
      this.#slotFree = undefined;
      wake();
    }
    if (this.#queue.length === 0 && this.#drained !== undefined) {
      const done = this.#drained;
      this.#drained = undefined;
      done();
    }
  }
}

// --- internal ---

interface Slot {
  output: Buffer | undefined;
}
