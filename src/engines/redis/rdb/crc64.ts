/**
 * CRC-64/Jones as Redis computes it (reflected, polynomial 0xad93d23594c935a9, init 0, no final xor): the
 * checksum at the end of an RDB file and of every DUMP payload. `crc64("123456789") === 0xe9c6d914c4b8d9can`.
 * Kept as two 32-bit halves so the hot loop stays in small integers.
 */

/** A running CRC-64 over successive chunks. */
export class Crc64 {
  private lo = 0;
  private hi = 0;

  /** Adds `bytes[start, end)` to the checksum. */
  update(bytes: Uint8Array, start = 0, end = bytes.length): this {
    let lo = this.lo;
    let hi = this.hi;
    for (let i = start; i < end; i++) {
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

// --- internal ---

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
