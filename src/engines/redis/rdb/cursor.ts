/**
 * A synchronous cursor over the buffered part of an RDB stream. Reading past the buffered bytes throws
 * {@link NeedMore}; the caller keeps the bytes from the start of the current record, waits for more, and
 * parses the record again. Only RDB primitives live here (lengths, strings, fixed-size numbers).
 */
import { IntegrityError } from "../../../core/errors.ts";
import { lzfDecompress } from "./lzf.ts";

/** Thrown when a record continues beyond the buffered bytes (always {@link NEED_MORE}: no stack to capture). */
export class NeedMore extends Error {
  constructor() {
    super("more RDB bytes needed");
  }
}

/** The one {@link NeedMore} thrown: it happens once per received chunk, and a fresh Error costs a stack trace. */
export const NEED_MORE = new NeedMore();

export class Cursor {
  buf: Buffer;
  pos: number;

  constructor(buf: Buffer, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }

  /** Advances over `n` bytes and returns their start offset. */
  take(n: number): number {
    const start = this.pos;
    if (start + n > this.buf.length) throw NEED_MORE;
    this.pos = start + n;
    return start;
  }

  u8(): number {
    return this.buf[this.take(1)] as number;
  }

  bytes(n: number): Buffer {
    const start = this.take(n);
    return this.buf.subarray(start, start + n);
  }

  /**
   * Whether the last {@link Cursor.length} read a special string encoding (int or LZF) rather than a length.
   * A field rather than a returned pair: lengths are read several times per key, and an object per read was a
   * good part of a live restore's garbage.
   */
  encoded = false;

  /** An RDB length, or the special string encoding's number when {@link Cursor.encoded} is then set. */
  length(): number {
    const first = this.u8();
    const kind = first >> 6;
    this.encoded = kind === 3;
    if (kind === 0 || kind === 3) return first & 0x3f;
    if (kind === 1) return ((first & 0x3f) << 8) | this.u8();
    if (first === 0x80) return this.buf.readUInt32BE(this.take(4));
    if (first === 0x81) {
      const at = this.take(8);
      const high = this.buf.readUInt32BE(at);
      // Above 2^53 a length cannot be exact as a number, and no real RDB holds one.
      if (high >= 0x200000) throw corrupt(`a length of ${this.buf.readBigUInt64BE(at)}`);
      return high * 0x100000000 + this.buf.readUInt32BE(at + 4);
    }
    throw corrupt(`the length prefix 0x${first.toString(16)}`);
  }

  /** A plain length (no string encodings allowed). */
  len(): number {
    const value = this.length();
    if (this.encoded) throw corrupt("an encoded string where a length belongs");
    return value;
  }

  /** Skips a length-encoded number of any size (stream ids, counters that may be -1 as 2^64-1). */
  skipLen(): void {
    const first = this.u8();
    if (first >> 6 === 1) this.take(1);
    else if (first === 0x80) this.take(4);
    else if (first === 0x81) this.take(8);
    else if (first >> 6 !== 0) throw corrupt(`the length prefix 0x${first.toString(16)}`);
  }

  /**
   * Skips one RDB string in its stored form. The two short length forms (under 16 KiB, nearly every string of
   * a real RDB) are read here without calls: this runs several times per key, and before V8 optimises it, in
   * the first thousands of keys, each call costs more than the work.
   */
  skipString(): void {
    const buf = this.buf;
    const at = this.pos;
    const first = buf[at];
    if (first !== undefined && first < 0x80) {
      const end = first < 0x40 ? at + 1 + first : at + 2 + (((first & 0x3f) << 8) | (buf[at + 1] ?? 0));
      // The second length byte may be missing, read as 0; then `end` is at most at + 2, past the buffered bytes.
      if (end > buf.length) throw NEED_MORE;
      this.pos = end;
      return;
    }
    const value = this.length();
    if (!this.encoded) return void this.take(value);
    if (value === 0) this.take(1);
    else if (value === 1) this.take(2);
    else if (value === 2) this.take(4);
    else if (value === 3) {
      const clen = this.len();
      this.len();
      this.take(clen);
    } else throw corrupt(`the string encoding ${value}`);
  }

  /** Reads one RDB string as its bytes (integers as decimal text, LZF decompressed). */
  string(): Buffer {
    const value = this.length();
    if (!this.encoded) return Buffer.from(this.bytes(value));
    if (value === 0) return Buffer.from(String(this.buf.readInt8(this.take(1))));
    if (value === 1) return Buffer.from(String(this.buf.readInt16LE(this.take(2))));
    if (value === 2) return Buffer.from(String(this.buf.readInt32LE(this.take(4))));
    if (value === 3) {
      const clen = this.len();
      const ulen = this.len();
      return lzfDecompress(this.bytes(clen), ulen);
    }
    throw corrupt(`the string encoding ${value}`);
  }
}

/** An IntegrityError for a malformed RDB. */
export function corrupt(what: string): IntegrityError {
  return new IntegrityError(`The RDB is malformed: unexpected ${what}.`, {
    hint: "The backup is damaged or was not written by Redis: restore an older one.",
  });
}
