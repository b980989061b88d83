/**
 * RDB parser edge cases on hand-built files: refused versions, module keys named, trailing garbage,
 * truncation, records split over one-byte chunks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EngineError, IntegrityError } from "../../../src/core/errors.ts";
import { Crc64 } from "../../../src/engines/redis/rdb/crc64.ts";
import { type RdbRecord, parseRdb } from "../../../src/engines/redis/rdb/parser.ts";
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
