/**
 * LZF decompression (the format Redis uses for compressed strings in RDB files). Only needed for key names:
 * values are handed to `RESTORE` in their stored, still compressed, form.
 */
import { IntegrityError } from "../../../core/errors.ts";

/** Decompresses `input` into exactly `outLength` bytes. @throws IntegrityError on malformed input. */
export function lzfDecompress(input: Uint8Array, outLength: number): Buffer {
  const out = Buffer.alloc(outLength);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip++] as number;
    if (ctrl < 32) {
      const len = ctrl + 1;
      if (op + len > outLength || ip + len > input.length) throw corrupt();
      out.set(input.subarray(ip, ip + len), op);
      ip += len;
      op += len;
      continue;
    }
    let len = ctrl >> 5;
    if (len === 7) len += input[ip++] as number;
    len += 2;
    const ref = op - ((ctrl & 0x1f) << 8) - 1 - (input[ip++] as number);
    if (ref < 0 || op + len > outLength || ip > input.length) throw corrupt();
    for (let i = 0; i < len; i++) out[op++] = out[ref + i] as number;
  }
  if (op !== outLength) throw corrupt();
  return out;
}

// --- internal ---

const corrupt = (): IntegrityError =>
  new IntegrityError("The RDB holds a malformed LZF-compressed string.", { hint: "The backup is damaged: restore an older one." });
