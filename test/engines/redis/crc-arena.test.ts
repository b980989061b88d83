/**
 * The in-place DUMP checksum in WebAssembly: the committed module is the compiled text, it agrees with the
 * bit-by-bit CRC-64/Jones for every length and alignment, and the arena hands out and takes back its buffers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CrcArena } from "../../../src/engines/redis/rdb/crc-arena.ts";
import { bitwiseCrc64 } from "./bitwise-crc64.ts";
import { DUMP_CRC64_WASM } from "../../../src/engines/redis/rdb/dump-crc64-wasm.ts";
import { compileWat, DUMP_CRC64, wasmModuleSource } from "../../../scripts/build-wasm.ts";
import { readFileSync } from "node:fs";

test("the committed WebAssembly is dump-crc64.wat compiled (node scripts/build-wasm.ts)", async () => {
  const bytes = await compileWat(DUMP_CRC64.wat);
  assert.equal(DUMP_CRC64_WASM, bytes.toString("base64"));
  assert.equal(readFileSync(DUMP_CRC64.ts, "utf8"), wasmModuleSource(bytes));
});

test("the checksum written in place is Redis's CRC-64 for every length and alignment, and after any other buffer", () => {
  const arena = new CrcArena(2, 4096);
  const buffer = arena.take();
  assert.ok(buffer);
  const data = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 167 + 13) & 0xff));
  for (let start = 0; start < 9; start++) {
    for (const length of [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 511, 600]) {
      data.copy(buffer, start, 0, length);
      buffer.fill(0xee, start + length, start + length + 8);
      arena.appendCrc(buffer, start, start + length);
      assert.equal(buffer.readBigUInt64LE(start + length), bitwiseCrc64(data.subarray(0, length)), `${length} bytes at ${start}`);
    }
  }
  assert.equal(buffer.readBigUInt64LE(0) === 0n, false);
  const own = Buffer.alloc(17);
  own.write("123456789");
  arena.appendCrc(own, 0, 9);
  assert.equal(own.readBigUInt64LE(9), 0xe9c6d914c4b8d9can, "a buffer outside the arena goes through the JavaScript form");
  assert.throws(() => arena.appendCrc(own, 0, 10), RangeError, "no room for the 8 bytes of the checksum");
});

test("the arena lends each buffer once until it is given back, and ignores buffers it did not lend", () => {
  const arena = new CrcArena(2, 1000);
  const one = arena.take();
  const two = arena.take();
  assert.ok(one && two);
  assert.equal(one.length, 1000);
  assert.equal(arena.take(), undefined);
  one.fill(1);
  assert.ok(two.every((b) => b !== 1), "the buffers do not overlap");
  assert.equal(arena.give(Buffer.alloc(1000)), false);
  assert.equal(arena.give(one), true);
  assert.equal(arena.take(), one);
});
