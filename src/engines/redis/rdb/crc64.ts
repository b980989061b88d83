/**
 * CRC-64/Jones as Redis computes it (reflected, polynomial 0xad93d23594c935a9, init 0, no final xor): the
 * checksum at the end of an RDB file and of every DUMP payload. `crc64("123456789") === 0xe9c6d914c4b8d9can`.
 * Two forms: {@link Crc64}, in JavaScript as two 32-bit halves so the hot loop stays in small integers, for the
 * many small DUMP payloads; {@link StreamCrc64}, in WebAssembly (hash-wasm), for a whole RDB file, where it is
 * about three times faster but each call costs more.
 */
import { createCRC64, type IHasher } from "hash-wasm";

/** A running CRC-64 over successive chunks. */
export class Crc64 {
  private lo = 0;
  private hi = 0;

  /**
   * Adds `bytes[start, end)` to the checksum: byte by byte up to a 4-byte boundary, then eight bytes a step
   * (slice-by-8 tables) read as two 32-bit words, then the last bytes one by one. Reading words through an
   * `Int32Array` over the whole backing buffer halves the cost of assembling them from bytes; on a big-endian
   * machine, where those words would be byte-swapped, every byte goes the slow way.
   */
  update(bytes: Uint8Array, start = 0, end = bytes.length): this {
    let lo = this.lo;
    let hi = this.hi;
    let i = start;
    if (LITTLE_ENDIAN && end - start >= 16) {
      const base = bytes.byteOffset;
      for (; ((base + i) & 3) !== 0; i++) {
        const idx = (lo ^ (bytes[i] as number)) & 0xff;
        lo = ((lo >>> 8) | (hi << 24)) ^ (TABLE_LO[idx] as number);
        hi = (hi >>> 8) ^ (TABLE_HI[idx] as number);
      }
      const words = wordsOf(bytes.buffer);
      for (const stop = end - 7; i < stop; i += 8) {
        const w = (base + i) >>> 2;
        lo ^= words[w] as number;
        hi ^= words[w + 1] as number;
        const a = 7 * 256 + (lo & 0xff);
        const b = 6 * 256 + ((lo >>> 8) & 0xff);
        const c = 5 * 256 + ((lo >>> 16) & 0xff);
        const d = 4 * 256 + (lo >>> 24);
        const e = 3 * 256 + (hi & 0xff);
        const f = 2 * 256 + ((hi >>> 8) & 0xff);
        const g = 256 + ((hi >>> 16) & 0xff);
        const h = hi >>> 24;
        lo = (SLICE_LO[a] as number) ^ (SLICE_LO[b] as number) ^ (SLICE_LO[c] as number) ^ (SLICE_LO[d] as number) ^ (SLICE_LO[e] as number) ^ (SLICE_LO[f] as number) ^ (SLICE_LO[g] as number) ^ (SLICE_LO[h] as number);
        hi = (SLICE_HI[a] as number) ^ (SLICE_HI[b] as number) ^ (SLICE_HI[c] as number) ^ (SLICE_HI[d] as number) ^ (SLICE_HI[e] as number) ^ (SLICE_HI[f] as number) ^ (SLICE_HI[g] as number) ^ (SLICE_HI[h] as number);
      }
    }
    for (; i < end; i++) {
      const idx = (lo ^ (bytes[i] as number)) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ (TABLE_LO[idx] as number);
      hi = (hi >>> 8) ^ (TABLE_HI[idx] as number);
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  /** The checksum as an unsigned 64-bit integer. */
  value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** Writes the checksum as the 8 little-endian bytes Redis writes into `out` at `at`. */
  writeTo(out: Buffer, at: number): void {
    out.writeUInt32LE(this.lo, at);
    out.writeUInt32LE(this.hi, at + 4);
  }

  /** The checksum as the 8 little-endian bytes Redis writes. */
  bytes(): Buffer {
    const out = Buffer.alloc(8);
    out.writeUInt32LE(this.lo, 0);
    out.writeUInt32LE(this.hi, 4);
    return out;
  }
}

/** CRC-64/Jones of one buffer. */
export function crc64(bytes: Uint8Array): bigint {
  return new Crc64().update(bytes).value();
}

/**
 * Writes the slice-by-8 tables into `memory` from byte `at`, as the WebAssembly form reads them: 8 tables of 256
 * little-endian u64, table k at byte `at + k * 2048`, table 0 the byte-wise one. 16 KiB.
 */
export function writeSliceTables(memory: ArrayBuffer, at: number): void {
  sliceTableBytes ??= sliceBytes();
  new Uint8Array(memory, at, sliceTableBytes.length).set(sliceTableBytes);
}

/**
 * The CRC-64 of one long stream (an RDB file), in WebAssembly. hash-wasm computes CRC-64 the XZ way: its
 * register starts at all ones and is inverted at the end. Redis starts at zero, and a reflected CRC fed eight
 * bytes equal to its register (little-endian) ends at zero whatever the polynomial: eight 0xff bytes first
 * bring hash-wasm's register from all ones to zero, and inverting its result gives Redis's checksum.
 */
export class StreamCrc64 {
  private readonly hasher: IHasher;

  private constructor(hasher: IHasher) {
    this.hasher = hasher;
  }

  /** A new checksum over nothing yet. */
  static async create(): Promise<StreamCrc64> {
    const hasher = await createCRC64(JONES_REFLECTED_HEX);
    hasher.init();
    hasher.update(ALL_ONES);
    return new StreamCrc64(hasher);
  }

  /** Adds `bytes[start, end)`. */
  update(bytes: Uint8Array, start = 0, end = bytes.length): this {
    if (end > start) this.hasher.update(bytes.subarray(start, end));
    return this;
  }

  /** Ends the checksum: the 8 little-endian bytes Redis writes. No update may follow. */
  finish(): Buffer {
    const xz = this.hasher.digest("binary");
    const out = Buffer.alloc(8);
    for (let i = 0; i < 8; i++) out[i] = ~(xz[7 - i] as number) & 0xff;
    return out;
  }
}

// --- internal ---

/** The slice-by-8 tables as {@link writeSliceTables} writes them, made at its first call. */
let sliceTableBytes: Uint8Array | undefined;

function sliceBytes(): Uint8Array {
  const bytes = new ArrayBuffer(8 * 256 * 8);
  if (LITTLE_ENDIAN) {
    // Plain element stores: a DataView call per word cost milliseconds before V8 compiled the loop.
    const words = new Int32Array(bytes);
    for (let i = 0; i < 8 * 256; i++) {
      words[2 * i] = SLICE_LO[i] as number;
      words[2 * i + 1] = SLICE_HI[i] as number;
    }
  } else {
    const view = new DataView(bytes);
    for (let i = 0; i < 8 * 256; i++) {
      view.setInt32(8 * i, SLICE_LO[i] as number, true);
      view.setInt32(8 * i + 4, SLICE_HI[i] as number, true);
    }
  }
  return new Uint8Array(bytes);
}

/** The reflected Jones polynomial, as hash-wasm takes it. */
const JONES_REFLECTED_HEX = "95ac9329ac4bc9b5";
const ALL_ONES = new Uint8Array(8).fill(0xff);

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The last backing buffer seen as 32-bit words: callers hash many ranges of one reused buffer. */
let wordsBuffer: ArrayBufferLike | undefined;
let words: Int32Array = new Int32Array(0);

function wordsOf(buffer: ArrayBufferLike): Int32Array {
  if (buffer !== wordsBuffer || words.length !== buffer.byteLength >>> 2) {
    wordsBuffer = buffer;
    words = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  return words;
}

/** Reflected form of the Jones polynomial 0xad93d23594c935a9. */
const POLY_LO = 0xac4bc9b5 >>> 0;
const POLY_HI = 0x95ac9329 >>> 0;
const TABLE_LO = new Uint32Array(256);
const TABLE_HI = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let lo = n;
  let hi = 0;
  for (let k = 0; k < 8; k++) {
    const odd = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (odd) {
      lo = (lo ^ POLY_LO) >>> 0;
      hi = (hi ^ POLY_HI) >>> 0;
    }
  }
  TABLE_LO[n] = lo;
  TABLE_HI[n] = hi;
}

/** Slice-by-8 tables: table k (entries k*256 …) advances a byte through k more zero bytes. */
const SLICE_LO = new Int32Array(8 * 256);
const SLICE_HI = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  SLICE_LO[n] = TABLE_LO[n] as number;
  SLICE_HI[n] = TABLE_HI[n] as number;
}
for (let k = 1; k < 8; k++) {
  for (let n = 0; n < 256; n++) {
    const lo = SLICE_LO[(k - 1) * 256 + n] as number;
    const hi = SLICE_HI[(k - 1) * 256 + n] as number;
    const idx = lo & 0xff;
    SLICE_LO[k * 256 + n] = ((lo >>> 8) | (hi << 24)) ^ (TABLE_LO[idx] as number);
    SLICE_HI[k * 256 + n] = (hi >>> 8) ^ (TABLE_HI[idx] as number);
  }
}
