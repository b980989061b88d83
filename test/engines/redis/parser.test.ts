/**
 * RDB parser edge cases on hand-built files: refused versions, module keys named, trailing garbage,
 * truncation, records split over one-byte chunks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EngineError, IntegrityError } from "../../../src/core/errors.ts";
import { Crc64 } from "../../../src/engines/redis/rdb/crc64.ts";
import { type RdbRecord, parseRdb, parseRdbRaw } from "../../../src/engines/redis/rdb/parser.ts";
import { rdbVersionOfServer } from "../../../src/engines/redis/server.ts";

/** A complete RDB: header, body, EOF opcode and its CRC-64. */
function rdb(version: string, body: number[]): Buffer {
  const head = Buffer.concat([Buffer.from(`REDIS${version}`), Buffer.from(body), Buffer.from([0xff])]);
  return Buffer.concat([head, new Crc64().update(head).bytes()]);
}

async function parse(bytes: Buffer, chunk = bytes.length): Promise<RdbRecord[]> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
  const out: RdbRecord[] = [];
  for await (const record of parseRdb(chunks)) out.push(record);
  return out;
}

const str = (text: string): number[] => [text.length, ...Buffer.from(text)];
// SELECTDB 3, EXPIRETIME_MS, string key "k" = "v", AUX, RESIZEDB, int-encoded key 42 (set intset blob)
const body = [0xfa, ...str("redis-ver"), ...str("7.0.15"), 0xfe, 3, 0xfb, 1, 1, 0xfc, 0x00, 0x10, 0x20, 0x30, 0x40, 0x01, 0, 0, 0, ...str("k"), ...str("v"), 0x0b, 0xc0, 42, ...str("blob")];

test("records come out the same whatever the chunking, with db, expiry and raw value", async () => {
  const whole = await parse(rdb("0010", body));
  assert.deepEqual(await parse(rdb("0010", body), 1), whole);
  const keys = whole.filter((r) => r.kind === "key");
  assert.equal(keys.length, 2);
  assert.deepEqual(keys[0], { kind: "key", db: 3, key: Buffer.from("k"), type: "string", expireAtMs: 0x014030201000, payload: Buffer.from([0, 1, 0x76]) });
  assert.deepEqual(keys[1], { kind: "key", db: 3, key: Buffer.from("42"), type: "set", payload: Buffer.from([0x0b, 4, ...Buffer.from("blob")]) });
  assert.deepEqual(whole.at(-1), { kind: "end", checksum: true, bytes: rdb("0010", body).length });
});

test("32- and 64-bit lengths and a negative expiry are read exactly; a length past 2^53 is refused", async () => {
  // A string of 3 bytes with its length as 0x80 + u32, one with 0x81 + u64, and an expiry of -2 ms (1969).
  const wide = [0xfc, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, ...str("a"), 0x80, 0, 0, 0, 3, ...Buffer.from("xyz"), 0, ...str("b"), 0x81, 0, 0, 0, 0, 0, 0, 0, 3, ...Buffer.from("xyz")];
  const keys = (await parse(rdb("0010", wide))).filter((r) => r.kind === "key");
  assert.deepEqual(
    keys.map((r) => (r.kind === "key" ? [r.key.toString(), r.expireAtMs, r.payload.subarray(-3).toString()] : [])),
    [
      ["a", -2, "xyz"],
      ["b", undefined, "xyz"],
    ],
  );
  const huge = [0, ...str("c"), 0x81, 0, 0x20, 0, 0, 0, 0, 0, 0];
  await assert.rejects(parse(rdb("0010", huge)), /length of 9007199254740992/);
});

test("a flipped byte, a truncated file and trailing bytes are refused", async () => {
  const good = rdb("0010", body);
  const flipped = Buffer.from(good);
  flipped[20] = (flipped[20] as number) ^ 0x40;
  await assert.rejects(parse(flipped), IntegrityError);
  await assert.rejects(parse(good.subarray(0, good.length - 3)), /ends early/);
  await assert.rejects(parse(Buffer.concat([good, Buffer.from("x")])), /after the end/);
});

test("a newer RDB format is refused with what to do", async () => {
  await assert.rejects(parse(rdb("0099", [])), /format version 99/);
});

test("a module key is refused by name", async () => {
  await assert.rejects(parse(rdb("0010", [0xfe, 2, 0x07, ...str("my-module-key"), 0, 0, 0])), (err) => err instanceof EngineError && /my-module-key.*database 2/.test(err.message));
});

test("RDB format per Redis version", () => {
  assert.equal(rdbVersionOfServer("7.0.15"), 10);
  assert.equal(rdbVersionOfServer("7.2.4"), 11);
  assert.equal(rdbVersionOfServer("7.4.1"), 12);
  assert.equal(rdbVersionOfServer("6.2.14"), 9);
});

test("raw key records point at the same bytes as the copies, whatever the chunking, and refuse the same damage", async () => {
  // A long value so that records straddle chunks and the parser's reused buffer must grow and shift.
  const long = [0xfe, 5, 0x00, ...str("big"), 0x40 | 1, 0x2c, ...Buffer.alloc(300, 0x61)];
  const file = rdb("0010", [...body, ...long]);
  const copies = (await parse(file)).filter((r) => r.kind === "key");
  for (const chunk of [1, 7, 64, file.length]) {
    const seen: Array<{ db: number; key: Buffer; payload: Buffer; expireAtMs?: number }> = [];
    const chunks: Buffer[] = [];
    for (let i = 0; i < file.length; i += chunk) chunks.push(file.subarray(i, i + chunk));
    for await (const batch of parseRdbRaw(chunks)) {
      for (const r of batch) {
        if (r.kind !== "rawKey") continue;
        const key = Buffer.from(r.decodedKey ?? r.buf.subarray(r.keyStart, r.keyEnd));
        const payload = Buffer.concat([Buffer.from([r.type]), r.buf.subarray(r.valueStart, r.valueEnd)]);
        seen.push({ db: r.db, key, payload, ...(r.expireAtMs === undefined ? {} : { expireAtMs: r.expireAtMs }) });
      }
    }
    assert.deepEqual(seen, copies.map((r) => (r.kind === "key" ? { db: r.db, key: r.key, payload: r.payload, ...(r.expireAtMs === undefined ? {} : { expireAtMs: r.expireAtMs }) } : r)), `chunks of ${chunk}`);
  }
  const flipped = Buffer.from(file);
  flipped[30] = (flipped[30] as number) ^ 0x02;
  await assert.rejects(async () => {
    for await (const batch of parseRdbRaw([flipped])) void batch;
  }, IntegrityError);
  let end: unknown;
  for await (const batch of parseRdbRaw([flipped], undefined, { checksum: false })) for (const r of batch) if (r.kind === "end") end = r;
  assert.deepEqual(end, { kind: "end", checksum: false, bytes: flipped.length }, "without the checksum, only the structure is checked");
});
