import { test } from "node:test";
import assert from "node:assert/strict";
import { Crc64, crc64, StreamCrc64 } from "../../../src/engines/redis/rdb/crc64.ts";
import { bitwiseCrc64 } from "./bitwise-crc64.ts";
import { lzfDecompress } from "../../../src/engines/redis/rdb/lzf.ts";
import { dumpPayload } from "../../../src/engines/redis/rdb/parser.ts";

test("crc64 is Redis's CRC-64/Jones", () => {
  assert.equal(crc64(Buffer.from("123456789")), 0xe9c6d914c4b8d9can);
  const split = new Crc64().update(Buffer.from("1234")).update(Buffer.from("56789"));
  assert.equal(split.value(), 0xe9c6d914c4b8d9can);
  assert.deepEqual(split.bytes(), Buffer.from("cad9b8c414d9c6e9", "hex"));
});

test("dumpPayload matches what DUMP of a small string returns", () => {
  // DUMP of SET k "hello" on Redis 7.0 (RDB 10).
  const payload = dumpPayload(Buffer.from([0, 5, ...Buffer.from("hello")]), 10);
  assert.equal(payload.subarray(0, 9).toString("hex"), "000568656c6c6f0a00");
  assert.equal(payload.length, 17);
});

test("lzf literal and back-reference runs", () => {
  // literal "abc" then a back-reference copying 3 bytes from 3 back: "abcabc"
  assert.equal(lzfDecompress(Buffer.from([2, 97, 98, 99, 0x20, 2]), 6).toString(), "abcabc");
  assert.throws(() => lzfDecompress(Buffer.from([5, 97]), 6));
});

test("eight bytes a step gives the bitwise CRC-64 for every length and alignment", () => {
  const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 167 + 13) & 0xff));
  for (const [start, end] of [[0, 0], [0, 7], [0, 8], [1, 9], [3, 64], [5, 300], [0, 300]] as const) {
    assert.equal(new Crc64().update(data, start, end).value(), bitwiseCrc64(data.subarray(start, end)), `bytes ${start}..${end}`);
  }
  assert.equal(new Crc64().update(data, 0, 101).update(data, 101, 300).value(), bitwiseCrc64(data));
});

test("ranges at every offset of their backing buffer, alternating between buffers, give the bitwise CRC-64", () => {
  const one = new Uint8Array(new ArrayBuffer(203));
  const two = new Uint8Array(new ArrayBuffer(96));
  one.forEach((_, i) => (one[i] = (i * 31 + 7) & 0xff));
  two.forEach((_, i) => (two[i] = (i * 89 + 3) & 0xff));
  for (let offset = 0; offset < 8; offset++) {
    for (const length of [15, 16, 17, 31, 64, 87]) {
      for (const whole of [one, two]) {
        const view = new Uint8Array(whole.buffer, offset, length);
        assert.equal(new Crc64().update(view).value(), bitwiseCrc64(view), `offset ${offset}, ${length} bytes of a ${whole.length}-byte buffer`);
      }
    }
  }
  const tail = new Uint8Array(one.buffer, 180, 23); // ends at the buffer's last byte, not on a word boundary
  assert.equal(new Crc64().update(tail).value(), bitwiseCrc64(tail));
});

test("the WebAssembly stream checksum gives Redis's bytes, over any split of the stream, empty included", async () => {
  assert.deepEqual((await StreamCrc64.create()).update(Buffer.from("123456789")).finish(), Buffer.from("cad9b8c414d9c6e9", "hex"));
  assert.deepEqual((await StreamCrc64.create()).finish(), Buffer.alloc(8), "over nothing, zero like Redis");
  const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 167 + 13) & 0xff));
  const expected = Buffer.alloc(8);
  expected.writeBigUInt64LE(bitwiseCrc64(data));
  for (const cuts of [[], [1], [7, 8, 9], [4096, 65_536], [69_999]]) {
    const crc = await StreamCrc64.create();
    let from = 0;
    for (const cut of [...cuts, data.length]) crc.update(data, from, (from = cut));
    assert.deepEqual(crc.finish(), expected, `cut at ${cuts.join(", ") || "nothing"}`);
  }
});
