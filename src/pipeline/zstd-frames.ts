/**
 * Walks the frame structure of a zstd stream (RFC 8878 §3.1: frame and block headers, no decoding) and
 * passes the bytes on unchanged, cut so that every frame ends at the end of a chunk.
 *
 * Why: node's zstd decompressor (Node 24.21) stops at the first frame end inside one write and silently drops
 * the rest of that write (nodejs/node#64741), while frames that end at the end of a write decode in a row.
 * The block compressor writes one frame per block, so restore needs every frame end at a write boundary.
 * Walking the frames also catches bytes that are not zstd, and a stream that stops inside a frame.
 */
import { Transform, type TransformCallback } from "node:stream";

/** `ZSTD_MAGICNUMBER`, little-endian. */
const FRAME_MAGIC = 0xfd2fb528;
/** Skippable frames: `0x184D2A50` to `0x184D2A5F`, followed by a 4-byte size and that many bytes. */
const SKIPPABLE_MAGIC = 0x184d2a50;
const SKIPPABLE_MASK = 0xfffffff0;

/**
 * A pass-through that splits chunks at zstd frame ends. Fails with an error naming the offset when the
 * input is not a series of zstd frames (unknown magic number, reserved block type) or ends inside a frame.
 * Holds nothing but a few header bytes.
 */
export class ZstdFrameSplitter extends Transform {
  /** What the bytes being collected (or skipped) are. */
  #state: State = "magic";
  readonly #header = Buffer.alloc(16);
  #have = 0;
  #want = 4;
  /** Bytes to pass over before collecting the next header (block contents, checksum, skippable frame). */
  #skip = 0;
  /** What follows the skipped bytes. */
  #afterSkip: AfterSkip = "frame-end";
  #checksum = false;
  /** Offset in the whole stream, for messages. */
  #offset = 0;

  constructor() {
    super({ highWaterMark: 64 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      let start = 0;
      let at = 0;
      while (at < chunk.length) {
        if (this.#skip > 0) {
          const n = Math.min(this.#skip, chunk.length - at);
          this.#skip -= n;
          at += n;
          if (this.#skip === 0 && this.#afterSkipped(this.#offset + at)) {
            this.push(chunk.subarray(start, at));
            start = at;
          }
          continue;
        }
        const n = Math.min(this.#want - this.#have, chunk.length - at);
        chunk.copy(this.#header, this.#have, at, at + n);
        this.#have += n;
        at += n;
        if (this.#have === this.#want && this.#parsed(this.#offset + at)) {
          this.push(chunk.subarray(start, at));
          start = at;
        }
      }
      if (start < chunk.length) this.push(start === 0 ? chunk : chunk.subarray(start));
      this.#offset += chunk.length;
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.#state === "magic" && this.#have === 0 && this.#skip === 0) callback();
    else callback(new Error(`zstd stream truncated: it ends inside a frame, at byte ${this.#offset}`));
  }

  /** Handles a complete header field ending at stream offset `end`; true when a frame ended there. */
  #parsed(end: number): boolean {
    const h = this.#header;
    this.#have = 0;
    switch (this.#state) {
      case "magic": {
        const magic = h.readUInt32LE(0);
        if (magic === FRAME_MAGIC) return this.#collect("descriptor", 1);
        if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) return this.#collect("skippable-size", 4);
        throw new Error(`not a zstd frame at byte ${end - 4} (magic number 0x${magic.toString(16).padStart(8, "0")})`);
      }
      case "skippable-size":
        return this.#pass(h.readUInt32LE(0), "frame-end", end);
      case "descriptor": {
        const descriptor = h[0] ?? 0;
        const singleSegment = (descriptor & 0x20) !== 0;
        const contentSizeFlag = descriptor >> 6;
        const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][contentSizeFlag] ?? 0;
        const dictionaryBytes = [0, 1, 2, 4][descriptor & 3] ?? 0;
        this.#checksum = (descriptor & 4) !== 0;
        const rest = (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes;
        return rest > 0 ? this.#collect("header-rest", rest) : this.#collect("block-header", 3);
      }
      case "header-rest":
        return this.#collect("block-header", 3);
      case "block-header": {
        const header = h.readUIntLE(0, 3);
        const last = (header & 1) !== 0;
        const type = (header >> 1) & 3;
        if (type === 3) throw new Error(`corrupted zstd block header at byte ${end - 3} (reserved block type)`);
        const size = type === 1 ? 1 : header >>> 3;
        return this.#pass(size, last ? (this.#checksum ? "checksum" : "frame-end") : "block-header", end);
      }
    }
  }

  /** Skips `bytes`, then goes on with `next`; true when a frame ended at `end` (nothing to skip). */
  #pass(bytes: number, next: AfterSkip, end: number): boolean {
    this.#skip = bytes;
    this.#afterSkip = next;
    return bytes === 0 ? this.#afterSkipped(end) : false;
  }

  /** Goes on after skipped bytes that ended at `end`; true when a frame ended there. */
  #afterSkipped(end: number): boolean {
    switch (this.#afterSkip) {
      case "block-header":
        return this.#collect("block-header", 3);
      case "checksum":
        return this.#pass(4, "frame-end", end);
      case "frame-end":
        this.#collect("magic", 4);
        return true;
    }
  }

  #collect(state: State, bytes: number): false {
    this.#state = state;
    this.#want = bytes;
    this.#have = 0;
    return false;
  }
}

// --- internal ---

type State = "magic" | "skippable-size" | "descriptor" | "header-rest" | "block-header";
type AfterSkip = "block-header" | "checksum" | "frame-end";
